/**
 * Outside text on its way to a terminal: file names, log content, parser messages that quote
 * it, option values echoed back. Printed raw, such text is obeyed rather than shown:
 * `\x1b[2J` clears the screen, `\x1b]0;…\x07` retitles the window, `\x1b]52;c;…\x07` writes
 * the clipboard, `\r` and `\b` overwrite what came before, a newline forges a diagnostic of
 * its own, and bidi overrides or zero-width characters reorder or hide text.
 *
 * Two treatments, one notion of what is unsafe: {@link escapeForTerminal} shows every unsafe
 * character as an escape (`\x1b`, `\u202e`), for diagnostics, where the user must see what was
 * there; {@link stripForTerminal} removes whole escape sequences, for the dashboard, where a
 * log line should read as its author meant it.
 *
 * Unsafe: control characters (C0, DEL, C1), format characters (bidi embeddings, overrides,
 * isolates and marks, zero-width spaces and joiners, the BOM, soft hyphen, invisible tags and
 * operators), line and paragraph separators, lone surrogates, and the default-ignorable
 * fillers and marks that draw nothing (Hangul fillers, the combining grapheme joiner).
 * Variation selectors stay, and so does a zero-width joiner between two pictographs: they are
 * how emoji such as ❤️ and 👩‍💻 are spelled.
 */

/** A zero-width joiner in an emoji: after a pictograph (and its modifier), before another. */
const EMOJI_JOINER = String.raw`\u200d(?<=\p{Extended_Pictographic}[\ufe0f\u{1f3fb}-\u{1f3ff}]?\u200d)(?=\p{Extended_Pictographic})`;

const UNSAFE_CHARACTER = String.raw`(?!${EMOJI_JOINER})[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\uffa0]`;

/** Every unsafe code point. */
const UNSAFE = new RegExp(UNSAFE_CHARACTER, 'gu');

/** Splits text into safe runs (even indices) and single unsafe code points (odd indices). */
const UNSAFE_SPLIT = new RegExp(`(${UNSAFE_CHARACTER})`, 'u');

/** What marks text cut short, here and on the dashboard. One column wide. */
export const ELLIPSIS = '…';

/** Short escapes for the controls people know by them. */
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with every unsafe character (see the module comment) written as a visible escape:
 * `\n`, `\r`, `\t`, `\xHH` below U+0100 (so ESC reads `\x1b`, BEL `\x07`, CSI `\x9b`),
 * `\uHHHH` in the Basic Multilingual Plane (`\u202e`), `\u{HHHHH}` beyond it. Everything else,
 * including non-ASCII letters and emoji, is unchanged; so is a backslash, so the result is for
 * reading, not for decoding. The result is one line with nothing a terminal acts on.
 *
 * With `maxLength`, a longer result keeps its beginning and its end, joined by
 * {@link ELLIPSIS}, in at most `maxLength` characters (UTF-16 units): the end of a path names the file, and
 * the end of a reason says where the problem was. An escape or a surrogate pair is never cut
 * in two, and text far beyond the limit is never scanned.
 *
 * @example
 * ```ts
 * escapeForTerminal('a\x1b]0;pwned\x07 b\u202e'); // 'a\\x1b]0;pwned\\x07 b\\u202e'
 * escapeForTerminal('a'.repeat(100), 10); // 'aaaaaa…aaa'
 * ```
 */
export function escapeForTerminal(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  if (text.length > 2 * maxLength) {
    // Each character gives at least one character of output, so these ends are enough.
    const head = escapedParts(text.slice(0, maxLength));
    const tail = escapedParts(text.slice(-maxLength));
    return elide(head, tail, maxLength);
  }
  const parts = escapedParts(text);
  const whole = parts.join('');
  return whole.length <= maxLength ? whole : elide(parts, parts, maxLength);
}

/**
 * `text` with every escape sequence removed, with its parameters (CSI `ESC [` or C1 `\x9b`;
 * OSC, DCS, SOS, PM and APC strings up to their terminator BEL, `ESC \` or C1 ST; any other
 * `ESC` sequence; a bare `ESC`), tabs, line and paragraph breaks made one space each (`\r\n`
 * is one break) so words stay apart on one line, and every other unsafe character (see the
 * module comment) removed. Every visible character stays, so what is shown is what the log
 * says, and the result is one line with nothing a terminal acts on.
 *
 * An OSC/DCS/… string without a terminator loses only its introducer: its text stays visible
 * rather than vanishing. The scan is linear in the length of the text.
 *
 * @example
 * ```ts
 * stripForTerminal('\x1b[31mERROR\x1b[0m\tdisk \x1b]0;pwned\x07full'); // 'ERROR disk full'
 * ```
 */
export function stripForTerminal(text: string): string {
  let out = '';
  // Position from which no string terminator exists: later strings need not search again.
  let noTerminatorFrom = Number.POSITIVE_INFINITY;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === ESC || (code >= 0x80 && code <= 0x9f)) {
      const introducerEnd = code === ESC ? i + 2 : i + 1;
      if (isStringIntroducer(text, i)) {
        const end =
          introducerEnd >= noTerminatorFrom ? -1 : findStringTerminator(text, introducerEnd);
        if (end === -1) {
          noTerminatorFrom = Math.min(noTerminatorFrom, introducerEnd);
          i = introducerEnd;
        } else {
          i = end;
        }
      } else if (code === CSI_C1 || (code === ESC && text.charCodeAt(i + 1) === LEFT_BRACKET)) {
        i = skipControlSequence(text, code === ESC ? i + 2 : i + 1);
      } else if (code === ESC) {
        i = skipEscapeSequence(text, i + 1);
      } else {
        i += 1; // any other C1 control
      }
      continue;
    }
    if (code === CR && text.charCodeAt(i + 1) === LF) {
      out += ' ';
      i += 2;
      continue;
    }
    out += BREAKS_TO_SPACE.has(code) ? ' ' : text[i];
    i += 1;
  }
  // No ESC or C1 control is left to start a sequence, so removing the rest cannot make one.
  return out.replace(UNSAFE, '');
}

/** Safe runs and escaped unsafe characters, alternating; their concatenation is the escape. */
function escapedParts(text: string): string[] {
  const parts = text.split(UNSAFE_SPLIT);
  for (let i = 1; i < parts.length; i += 2) parts[i] = escapeCharacter(parts[i]!);
  return parts;
}

function escapeCharacter(character: string): string {
  const named = NAMED_ESCAPES[character];
  if (named !== undefined) return named;
  const codePoint = character.codePointAt(0)!;
  const hex = codePoint.toString(16);
  if (codePoint < 0x100) return `\\x${hex.padStart(2, '0')}`;
  if (codePoint <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\u{${hex}}`;
}

/**
 * The first characters of `head` and the last of `tail` (both as from {@link escapedParts}),
 * about two thirds and one third of `maxLength`, joined by the ellipsis.
 */
function elide(head: readonly string[], tail: readonly string[], maxLength: number): string {
  if (maxLength < 1) return '';
  const room = maxLength - ELLIPSIS.length;
  const headRoom = Math.ceil((room * 2) / 3);
  return `${takeFromStart(head, headRoom)}${ELLIPSIS}${takeFromEnd(tail, room - headRoom)}`;
}

function takeFromStart(parts: readonly string[], room: number): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (out.length + part.length <= room) {
      out += part;
      continue;
    }
    // An escape is whole or absent; a safe run may be cut, between code points.
    if (i % 2 === 0) {
      let end = room - out.length;
      if (isHighSurrogate(part.charCodeAt(end - 1))) end -= 1;
      out += part.slice(0, end);
    }
    break;
  }
  return out;
}

function takeFromEnd(parts: readonly string[], room: number): string {
  let out = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (out.length + part.length <= room) {
      out = part + out;
      continue;
    }
    if (i % 2 === 0) {
      let start = part.length - (room - out.length);
      if (isLowSurrogate(part.charCodeAt(start))) start += 1;
      out = part.slice(start) + out;
    }
    break;
  }
  return out;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const ESC = 0x1b;
const BEL = 0x07;
const CR = 0x0d;
const LF = 0x0a;
const BACKSLASH = 0x5c;
const LEFT_BRACKET = 0x5b;
const CSI_C1 = 0x9b;
const ST_C1 = 0x9c;

/** `ESC ]` OSC, `ESC P` DCS, `ESC X` SOS, `ESC ^` PM, `ESC _` APC, and their C1 forms. */
const STRING_FINALS = new Set([0x5d, 0x50, 0x58, 0x5e, 0x5f]);
const STRING_C1 = new Set([0x9d, 0x90, 0x98, 0x9e, 0x9f]);

/** Tab, LF, VT, FF, CR, LINE SEPARATOR, PARAGRAPH SEPARATOR (NEL goes with the C1 controls). */
const BREAKS_TO_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x2028, 0x2029]);

function isStringIntroducer(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code === ESC) return STRING_FINALS.has(text.charCodeAt(at + 1));
  return STRING_C1.has(code);
}

/** Index just past the terminator (BEL, `ESC \` or ST) of a string sequence, or -1. */
function findStringTerminator(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === BEL || code === ST_C1) return i + 1;
    if (code === ESC && text.charCodeAt(i + 1) === BACKSLASH) return i + 2;
  }
  return -1;
}

/**
 * Index past a CSI's parameter bytes (0x30–0x3F), intermediate bytes (0x20–0x2F) and final
 * byte (0x40–0x7E). A sequence cut short by another character ends before it: that character
 * is then judged on its own.
 */
function skipControlSequence(text: string, from: number): number {
  let i = from;
  while (i < text.length && inRange(text.charCodeAt(i), 0x30, 0x3f)) i++;
  while (i < text.length && inRange(text.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i < text.length && inRange(text.charCodeAt(i), 0x40, 0x7e)) i++;
  return i;
}

/** Index past `ESC`, its intermediate bytes (0x20–0x2F) and final byte (0x30–0x7E), if any. */
function skipEscapeSequence(text: string, from: number): number {
  let i = from;
  while (i < text.length && inRange(text.charCodeAt(i), 0x20, 0x2f)) i++;
  if (i < text.length && inRange(text.charCodeAt(i), 0x30, 0x7e)) i++;
  return i;
}

function inRange(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}

/**
 * `value` as one line of JSON with every unsafe character (see the module comment) written as
 * a `\uHHHH` escape, which JSON.stringify leaves raw for most of them (DEL, C1 controls such
 * as CSI `\x9b`, bidi overrides, separators): for diagnostics a program decodes (the same
 * text comes back) and a terminal shows without obeying.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (character) => {
    let escaped = '';
    for (let i = 0; i < character.length; i++) {
      escaped += `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`;
    }
    return escaped;
  });
}
