/**
 * Reads the text that `tmux capture-pane -e -p` prints (lines of characters with SGR escape
 * sequences) into a grid of terminal cells, so that it can be drawn cell by cell
 * (scripts/ansi-to-svg.mjs) or written as plain text.
 *
 * A colour is `null` (the terminal's default), a palette index 0-255, or a '#rrggbb' string.
 * tmux carries the attributes over from one line to the next, so the SGR state is kept
 * across newlines too.
 */

/** @typedef {null | number | string} Colour */
/**
 * @typedef {{ fg: Colour, bg: Colour, bold: boolean, dim: boolean, italic: boolean,
 *   underline: boolean, inverse: boolean, strike: boolean }} Style
 */
/** @typedef {{ ch: string, width: 1 | 2, style: Style }} Cell */
/** A row is `columns` slots: a cell, or `null` for the right half of a wide character. */
/** @typedef {(Cell | null)[]} Row */

/** @returns {Style} */
export const plainStyle = () => ({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
});

/** Code points a terminal draws two cells wide: CJK, Hangul, fullwidth forms and emoji. */
const WIDE = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** Code points that join the character before them (combining marks, joiners, selectors). */
const ZERO = [
  [0x0300, 0x036f],
  [0x200b, 0x200f],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
];

const within = (ranges, cp) => ranges.some(([low, high]) => cp >= low && cp <= high);

/**
 * How many cells a code point takes: 0, 1 or 2. A simple table, not full Unicode East Asian
 * Width, which is enough for a dashboard's text.
 * @param {number} cp
 */
export function cellWidth(cp) {
  if (within(ZERO, cp)) return 0;
  return within(WIDE, cp) ? 2 : 1;
}

/** The first 16 colours' SGR codes: 30-37 / 40-47 are 0-7, 90-97 / 100-107 are 8-15. */
const basic = (code, base) => (code >= base + 60 ? code - base - 60 + 8 : code - base);

/**
 * Reads an extended colour (`38;5;n`, `38;2;r;g;b`, or their colon forms) from the numbers
 * after 38 or 48. Returns the colour and how many numbers it used.
 * @param {number[]} rest
 * @returns {[Colour | undefined, number]}
 */
function extendedColour(rest) {
  if (rest[0] === 5 && rest.length >= 2) return [Math.min(255, rest[1]), 2];
  if (rest[0] === 2 && rest.length >= 4) {
    const hex = rest.slice(1, 4).map((v) => Math.min(255, v).toString(16).padStart(2, '0'));
    return [`#${hex.join('')}`, 4];
  }
  return [undefined, rest.length];
}

/**
 * Applies one SGR sequence's parameters (the text between `ESC [` and `m`) to `style`.
 * @param {Style} style
 * @param {string} params
 */
export function applySgr(style, params) {
  // A colon sub-parameter list (38:2::r:g:b) is one parameter; the empty colour-space id
  // between the two colons is dropped so both spellings read the same.
  const groups = params === '' ? [''] : params.split(';');
  for (let g = 0; g < groups.length; g += 1) {
    const group = groups[g];
    if (group.includes(':')) {
      const parts = group.split(':').map(Number);
      const [code, ...rest] = parts;
      if (code === 38 || code === 48) {
        const sub = rest[0] === 2 && rest.length === 5 ? [2, ...rest.slice(2)] : rest;
        const [colour] = extendedColour(sub);
        if (colour !== undefined) style[code === 38 ? 'fg' : 'bg'] = colour;
      } else if (code === 4) {
        style.underline = rest[0] !== 0;
      }
      continue;
    }
    const code = group === '' ? 0 : Number(group);
    if (code === 38 || code === 48) {
      const rest = groups.slice(g + 1).map(Number);
      const [colour, used] = extendedColour(rest);
      if (colour !== undefined) style[code === 38 ? 'fg' : 'bg'] = colour;
      g += used;
    } else if (code === 0) Object.assign(style, plainStyle());
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4 || code === 21) style.underline = true;
    else if (code === 7) style.inverse = true;
    else if (code === 9) style.strike = true;
    else if (code === 22) Object.assign(style, { bold: false, dim: false });
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code === 27) style.inverse = false;
    else if (code === 29) style.strike = false;
    else if (code >= 30 && code <= 37) style.fg = basic(code, 30);
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = basic(code, 40);
    else if (code === 49) style.bg = null;
    else if (code >= 90 && code <= 97) style.fg = basic(code, 30);
    else if (code >= 100 && code <= 107) style.bg = basic(code, 40);
  }
}

/**
 * The screen that `text` describes, as `rows` rows of `columns` slots. Characters past the
 * right edge or the last row are dropped; escape sequences other than SGR (OSC hyperlinks,
 * cursor moves) are skipped, as are control characters.
 * @param {string} text
 * @param {{ columns: number, rows: number }} size
 * @returns {Row[]}
 */
export function parseAnsi(text, { columns, rows }) {
  /** @type {Row[]} */
  const grid = Array.from({ length: rows }, () =>
    Array.from({ length: columns }, () => ({ ch: ' ', width: 1, style: plainStyle() })),
  );
  const style = plainStyle();
  let row = 0;
  let col = 0;
  let last = /** @type {Cell | null} */ (null);
  const sequence = /\x1b(?:\[([0-9;:?<=>]*)([ -/]*[@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-_]?)/y;
  for (let i = 0; i < text.length; ) {
    const ch = text[i];
    if (ch === '\x1b') {
      sequence.lastIndex = i;
      const match = sequence.exec(text);
      if (match?.[2] === 'm') applySgr(style, match[1]);
      i = match ? sequence.lastIndex : i + 1;
      continue;
    }
    const cp = text.codePointAt(i);
    const char = String.fromCodePoint(cp);
    i += char.length;
    if (char === '\n') {
      row += 1;
      col = 0;
      last = null;
      continue;
    }
    if (char === '\t') {
      col = Math.min(columns, (Math.floor(col / 8) + 1) * 8);
      continue;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    const width = cellWidth(cp);
    if (width === 0) {
      // NFC joins a mark to its letter where Unicode has the pair (e + ◌́ = é), which the
      // font then draws as one glyph.
      if (last) last.ch = (last.ch + char).normalize('NFC');
      continue;
    }
    if (row >= rows || col + width > columns) continue;
    last = { ch: char, width, style: { ...style } };
    grid[row][col] = last;
    if (width === 2) grid[row][col + 1] = null;
    col += width;
  }
  return grid;
}

/**
 * The grid as plain text: one line per row, trailing blanks trimmed, a newline after each.
 * @param {Row[]} grid
 */
export function gridText(grid) {
  return grid
    .map(
      (row) =>
        `${row
          .map((cell) => cell?.ch ?? '')
          .join('')
          .trimEnd()}\n`,
    )
    .join('');
}
