/**
 * Makes text that comes from a log safe to print on a terminal.
 *
 * A log line is untrusted input: printed raw, `\x1b[2J` clears the screen, `\x1b]0;…\x07`
 * retitles the window, `\r` and `\b` overwrite what came before, and bidi overrides or
 * zero-width characters reorder or hide text. `sanitize` removes all of them and keeps every
 * visible character, so what the dashboard shows is what the log says.
 *
 * Removed: escape sequences (CSI `ESC [` / C1 `\x9b` with their parameters; OSC, DCS, SOS, PM
 * and APC strings up to their terminator BEL, `ESC \` or C1 ST; any other `ESC` sequence;
 * a bare `ESC`), C0 controls, DEL, C1 controls, zero-width and bidi formatting characters,
 * invisible tag characters and lone surrogates. Tabs, line and paragraph breaks become one
 * space each (`\r\n` is one break), so words stay apart on the single line the dashboard uses.
 *
 * An OSC/DCS/… string without a terminator loses only its introducer: its text stays visible
 * rather than vanishing. The scan is one pass, linear in the length of the text.
 *
 * @example
 * ```ts
 * sanitize('\x1b[31mERROR\x1b[0m\tdisk \x1b]0;pwned\x07full'); // 'ERROR disk full'
 * ```
 */
export function sanitize(text: string): string {
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
    if (BREAKS_TO_SPACE.has(code)) {
      out += ' ';
      i += 1;
      continue;
    }
    if (code < 0x20 || code === DEL || INVISIBLE.has(code)) {
      i += 1;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      const paired = code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
      if (!paired) {
        i += 1;
        continue;
      }
      // Tag characters (U+E0000–U+E007F) are invisible and can smuggle hidden text.
      if (text.codePointAt(i)! < 0xe0000 || text.codePointAt(i)! > 0xe007f) {
        out += text.slice(i, i + 2);
      }
      i += 2;
      continue;
    }
    out += text[i];
    i += 1;
  }
  return out;
}

const ESC = 0x1b;
const BEL = 0x07;
const DEL = 0x7f;
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

/** Zero-width, joiner, bidi embedding/override/isolate/mark and other invisible formatting. */
const INVISIBLE = new Set([
  0x00ad, // soft hyphen
  0x061c, // Arabic letter mark
  0x180e, // Mongolian vowel separator
  0x200b,
  0x200c,
  0x200d,
  0x200e,
  0x200f, // zero-width space/non-joiner/joiner, LRM, RLM
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e, // LRE, RLE, PDF, LRO, RLO
  0x2060,
  0x2061,
  0x2062,
  0x2063,
  0x2064, // word joiner, invisible operators
  0x2066,
  0x2067,
  0x2068,
  0x2069, // LRI, RLI, FSI, PDI
  0xfeff, // zero-width no-break space (BOM)
  0xfff9,
  0xfffa,
  0xfffb, // interlinear annotation
]);

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
