import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, jsonForTerminal, stripForTerminal } from '../src/terminal-text.js';

/**
 * What must never reach a terminal, listed by hand (independently of the module's Unicode
 * categories): C0, DEL and C1 controls, soft hyphen, Arabic letter mark, Mongolian vowel
 * separator, zero-width space/non-joiner, LRM/RLM, bidi embeddings, overrides and isolates,
 * line and paragraph separators, word joiner and invisible operators, BOM, interlinear
 * annotation, tag characters, lone surrogates (`\p{Cs}` with the `u` flag matches only those),
 * and a zero-width joiner anywhere but between two pictographs of an emoji.
 */
const FORBIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]|\p{Cs}|(?<!\p{Extended_Pictographic}[\ufe0f\u{1f3fb}-\u{1f3ff}]?)\u200d|\u200d(?!\p{Extended_Pictographic})/u;

/** Pieces that hostile text is made of: escape sequences' parts, controls, halves of pairs. */
const hostileUnit = fc.oneof(
  fc.constantFrom(
    '\x1b',
    '[',
    ']',
    '\\',
    '\x07',
    '\x9b',
    '\x9c',
    '\x9d',
    'P',
    '_',
    ';',
    '0',
    'm',
    '2J',
    '52;c;',
    '\r',
    '\n',
    '\t',
    '\b',
    '\x7f',
    '\x85',
    '\u2028',
    '\u202e',
    '\u2066',
    '\u200b',
    '\u200d',
    '\ufeff',
    '\ud83d',
    '\ude80',
    '🚀',
    '\udb40',
    '\udc41',
  ),
  fc.string({ unit: 'binary', maxLength: 2 }),
);
const hostileText = fc.string({ unit: hostileUnit, maxLength: 60 });

/** Ordinary text in many scripts, emoji sequences included: nothing in it may change. */
const ordinaryText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCodePoint(code)),
    fc
      .constantFrom(
        [0xa0, 0xac],
        [0xae, 0x24f], // Latin
        [0x300, 0x34e], // combining marks (U+034F, the grapheme joiner, draws nothing)
        [0x391, 0x3c9], // Greek
        [0x400, 0x4ff], // Cyrillic
        [0x5d0, 0x5ea], // Hebrew
        [0x621, 0x64a], // Arabic
        [0x3041, 0x3096], // Hiragana
        [0x4e00, 0x9fff], // CJK
        [0xac00, 0xd7a3], // Hangul syllables
        [0x1f300, 0x1f64f], // emoji
      )
      .chain(([min, max]) => fc.integer({ min: min!, max: max! }))
      .map((code) => String.fromCodePoint(code)),
    fc.constantFrom('👩‍💻', '❤️', '👍🏽', '👨‍👩‍👧', '🏳️‍🌈', 'é', '→', '…', '✓'),
  ),
  maxLength: 40,
});

describe('escapeForTerminal', () => {
  it.each([
    ['OSC 0 window title', 'a\x1b]0;pwned\x07b', 'a\\x1b]0;pwned\\x07b'],
    ['OSC 52 clipboard write', '\x1b]52;c;cHduZWQ=\x1b\\', '\\x1b]52;c;cHduZWQ=\\x1b\\'],
    ['CSI erase screen', '\x1b[2J\x1b[H', '\\x1b[2J\\x1b[H'],
    ['C1 CSI and ST', 'a\x9b2Jb\x9c', 'a\\x9b2Jb\\x9c'],
    ['newline, carriage return, tab', 'one\ntwo\r\nthree\tfour', 'one\\ntwo\\r\\nthree\\tfour'],
    ['NUL, backspace, DEL, NEL', '\x00\b\x7f\x85', '\\x00\\x08\\x7f\\x85'],
    ['right-to-left override', 'invoice\u202efdp.exe', 'invoice\\u202efdp.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200e\u061c', '\\u2066a\\u2069\\u200e\\u061c'],
    ['zero-width characters and BOM', 'pa\u200bss\ufeffword', 'pa\\u200bss\\ufeffword'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['a zero-width joiner between letters', 'x\u200dy', 'x\\u200dy'],
    ['invisible tag characters', 'ok\u{e0041}', 'ok\\u{e0041}'],
    ['a Hangul filler', 'a\u3164b', 'a\\u3164b'],
    ['lone surrogates', 'a\ud800b\udc00', 'a\\ud800b\\udc00'],
  ])('shows %s as escapes', (_name, input, expected) => {
    expect(escapeForTerminal(input)).toBe(expected);
  });

  it('leaves ordinary text alone, in any script, emoji sequences included', () => {
    const text = 'GET /api/ü?q=日本語 → 200 OK 🚀 café naïve Ελληνικά עברית 👩‍💻 ❤️ 👍🏽 C:\\logs';
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('keeps the beginning and the end of long text within the limit', () => {
    expect(escapeForTerminal(`start-${'x'.repeat(1000)}-(line 7)`, 30)).toBe(
      `start-${'x'.repeat(14)}…-(line 7)`,
    );
    expect(escapeForTerminal('short', 30)).toBe('short');
    expect(escapeForTerminal('x'.repeat(30), 30)).toBe('x'.repeat(30));
  });

  it('never cuts an escape or an emoji in two', () => {
    expect(escapeForTerminal('\x1b'.repeat(50), 20)).toBe(
      `${'\\x1b'.repeat(3)}…${'\\x1b'.repeat(1)}`,
    );
    expect(escapeForTerminal('🚀'.repeat(50), 20)).toBe(`${'🚀'.repeat(6)}…${'🚀'.repeat(3)}`);
  });

  it('bounds text of any length without reading all of it', () => {
    const huge = `\x1b]0;${'a'.repeat(10_000_000)}\x07`;
    const escaped = escapeForTerminal(huge, 100);
    expect(escaped.length).toBeLessThanOrEqual(100);
    expect(escaped.startsWith('\\x1b]0;aaa')).toBe(true);
    expect(escaped.endsWith('aaa\\x07')).toBe(true);
  });

  it('never lets a forbidden character through, and stays within any limit', () => {
    fc.assert(
      fc.property(hostileText, fc.option(fc.integer({ min: 0, max: 80 })), (text, limit) => {
        const escaped = escapeForTerminal(text, limit ?? undefined);
        expect(escaped).not.toMatch(FORBIDDEN);
        if (limit !== null) expect(escaped.length).toBeLessThanOrEqual(limit);
      }),
      { seed: 20_251_018, numRuns: 3000 },
    );
  });

  it('is the identity on ordinary text', () => {
    fc.assert(
      fc.property(ordinaryText, (text) => {
        expect(escapeForTerminal(text)).toBe(text);
      }),
      { seed: 18, numRuns: 2000 },
    );
  });

  it('shows exactly what was there: reading the escapes back gives the text', () => {
    const readEscapes = (text: string) =>
      text.replace(/\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|u\{([0-9a-f]+)\}|([nrt]))/g, (...m) =>
        m[4]
          ? { n: '\n', r: '\r', t: '\t' }[m[4] as 'n']!
          : String.fromCodePoint(parseInt(m[1] ?? m[2] ?? m[3], 16)),
      );
    // Backslashes are kept as they are, so only text without them reads back unambiguously.
    const withoutBackslashes = hostileText.map((text) => text.replaceAll('\\', '/'));
    fc.assert(
      fc.property(withoutBackslashes, (text) => {
        expect(readEscapes(escapeForTerminal(text))).toBe(text);
      }),
      { seed: 1018, numRuns: 2000 },
    );
  });
});

describe('stripForTerminal', () => {
  it.each([
    ['CSI erase screen', 'before\x1b[2Jafter', 'beforeafter'],
    ['SGR colours around text', '\x1b[1;31mERROR\x1b[0m disk full', 'ERROR disk full'],
    ['CSI cursor movement with private parameters', 'a\x1b[?25lb\x1b[10;20Hc', 'abc'],
    ['OSC title ended by BEL', 'x\x1b]0;evil\x07y', 'xy'],
    ['OSC title ended by ESC \\', 'x\x1b]0;evil\x1b\\y', 'xy'],
    [
      'OSC 8 hyperlink keeps its visible text',
      '\x1b]8;;http://e.vil\x1b\\click\x1b]8;;\x1b\\',
      'click',
    ],
    ['C1 CSI', 'a\x9b2Jb', 'ab'],
    ['C1 OSC ended by C1 ST', 'a\x9d0;evil\x9cb', 'ab'],
    ['DCS string', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['APC string', 'a\x1b_hidden\x1b\\b', 'ab'],
    ['two-character ESC sequences (reset, save cursor, charset)', 'a\x1bcb\x1b7c\x1b(Bd', 'abcd'],
    ['bare ESC at the end', 'tail\x1b', 'tail'],
    ['bare ESC before a control', 'a\x1b\x1b[31mb', 'ab'],
    ['carriage return overwrite', 'safe\roverwritten', 'safe overwritten'],
    ['CRLF is one break', 'one\r\ntwo', 'one two'],
    ['newline', 'one\ntwo', 'one two'],
    ['backspaces', 'abc\b\b\bxyz', 'abcxyz'],
    ['tabs become spaces', 'a\tb\t\tc', 'a b  c'],
    ['NUL, BEL, DEL', 'a\x00b\x07c\x7fd', 'abcd'],
    ['other C1 controls (NEL, IND)', 'a\x85b\x84c', 'abc'],
    ['right-to-left override', 'file\u202etxt.exe', 'filetxt.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200eb\u200f\u061c', 'ab'],
    ['zero-width characters and BOM', 'pa\u200bss\u200c\u200d\u2060wo\ufeffrd', 'password'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a b c'],
    ['invisible tag characters', 'ok\u{e0041}\u{e0042}!', 'ok!'],
    ['lone surrogates', 'a\ud800b\udc00c', 'abc'],
  ])('removes %s', (_name, input, expected) => {
    expect(stripForTerminal(input)).toBe(expected);
  });

  it('keeps an unterminated OSC visible instead of hiding the rest of the line', () => {
    expect(stripForTerminal('look\x1b]0;the rest stays')).toBe('look0;the rest stays');
    expect(stripForTerminal('a\x1b]x\x1b]y')).toBe('axy');
  });

  it('keeps an incomplete CSI harmless', () => {
    expect(stripForTerminal('x\x1b[31')).toBe('x');
    expect(stripForTerminal('x\x1b[')).toBe('x');
  });

  it('never lets a forbidden character through', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(stripForTerminal(text)).not.toMatch(FORBIDDEN);
      }),
      { seed: 20_240_501, numRuns: 3000 },
    );
  });

  it('is the identity on ordinary text, and idempotent', () => {
    fc.assert(
      fc.property(ordinaryText, (text) => {
        expect(stripForTerminal(text)).toBe(text);
      }),
      { seed: 7, numRuns: 2000 },
    );
    fc.assert(
      fc.property(hostileText, (text) => {
        const once = stripForTerminal(text);
        expect(stripForTerminal(once)).toBe(once);
      }),
      { seed: 8, numRuns: 2000 },
    );
  });

  it('handles many unterminated strings in one long text', () => {
    const text = '\x1b]x'.repeat(20_000);
    expect(stripForTerminal(text)).toBe('x'.repeat(20_000));
  });
});

describe('jsonForTerminal', () => {
  it('never lets an unsafe character through, and decodes back to the same value', () => {
    fc.assert(
      fc.property(hostileText, fc.string({ maxLength: 20 }), (file, reason) => {
        const value = { file, reason, count: 1 };
        const line = jsonForTerminal(value);
        expect(line).not.toMatch(FORBIDDEN);
        expect(JSON.parse(line)).toEqual(value);
      }),
      { seed: 20_261_202, numRuns: 500 },
    );
  });

  it('leaves ordinary text, emoji sequences included, as JSON.stringify writes it', () => {
    fc.assert(
      fc.property(ordinaryText, (text) => {
        expect(jsonForTerminal({ text })).toBe(JSON.stringify({ text }));
      }),
      { seed: 20_261_202, numRuns: 300 },
    );
  });

  it('writes C1 controls and bidi overrides as \\u escapes', () => {
    expect(jsonForTerminal('a\x9b2J\u202eb\x7f')).toBe('"a\\u009b2J\\u202eb\\u007f"');
  });
});
