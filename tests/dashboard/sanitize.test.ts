import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitize } from '../../src/dashboard/sanitize.js';

/**
 * Anything a terminal would act on rather than print, or that hides/reorders text. With the
 * `u` flag, `[\ud800-\udfff]` matches lone surrogates only.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]|[\ud800-\udfff]/u;

describe('sanitize', () => {
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
    expect(sanitize(input)).toBe(expected);
  });

  it('keeps an unterminated OSC visible instead of hiding the rest of the line', () => {
    expect(sanitize('look\x1b]0;the rest stays')).toBe('look0;the rest stays');
    expect(sanitize('a\x1b]x\x1b]y')).toBe('axy');
  });

  it('keeps an incomplete CSI harmless', () => {
    expect(sanitize('x\x1b[31')).toBe('x');
    expect(sanitize('x\x1b[')).toBe('x');
  });

  it('leaves printable text alone, in any script', () => {
    const text = 'GET /api/ü?q=日本語 → 200 OK 🚀 café naïve Ελληνικά ✓';
    expect(sanitize(text)).toBe(text);
  });

  it('never lets a control, escape or invisible formatting character through', () => {
    const hostile = fc.string({
      unit: fc.oneof(
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
          '\r',
          '\n',
          '\t',
          '\b',
          '\x7f',
          '\u202e',
          '\u200b',
          '\ud83d',
          '\ude80',
          '\udb40',
          '\udc41',
        ),
        fc.string({ unit: 'binary', maxLength: 2 }),
      ),
      maxLength: 60,
    });
    fc.assert(
      fc.property(hostile, (text) => {
        expect(sanitize(text)).not.toMatch(UNSAFE);
      }),
      { seed: 20240501, numRuns: 2000 },
    );
  });

  it('is idempotent and keeps text that has nothing to remove', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const once = sanitize(text);
        expect(sanitize(once)).toBe(once);
        if (!UNSAFE.test(text) && !/[\u0000-\u001f]/.test(text)) expect(once).toBe(text);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('handles many unterminated strings in one long text', () => {
    const text = '\x1b]x'.repeat(20_000);
    expect(sanitize(text)).toBe('x'.repeat(20_000));
  });
});
