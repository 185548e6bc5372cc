import { ELLIPSIS, stripForTerminal } from '../terminal-text.js';

export { ELLIPSIS };

/**
 * Raw log text beyond this many UTF-16 units is not even scanned: no terminal line is that
 * wide, and a multi-megabyte message must not cost a full scan on every redraw.
 */
const RAW_TEXT_LIMIT = 8192;

/**
 * Text from a log, ready for one line of `width` columns: made safe (see {@link stripForTerminal}),
 * then cut to fit with an ellipsis.
 */
export function logText(raw: string, width: number): string {
  const clipped = raw.length > RAW_TEXT_LIMIT;
  const clean = stripForTerminal(clipped ? raw.slice(0, RAW_TEXT_LIMIT) : raw);
  return truncate(clean, width, clipped);
}

/**
 * `text` cut to at most `width` terminal columns, ending with {@link ELLIPSIS} when anything
 * was cut (or when `cutBefore` says the text was already shortened). Wide characters are
 * never split.
 */
export function truncate(text: string, width: number, cutBefore = false): string {
  if (width <= 0) return '';
  let used = 0;
  // End index of the longest prefix that leaves room for the ellipsis.
  let roomForEllipsis = 0;
  let index = 0;
  for (const char of text) {
    const charColumns = charWidth(char.codePointAt(0)!);
    if (used + charColumns > width) return `${text.slice(0, roomForEllipsis)}${ELLIPSIS}`;
    used += charColumns;
    index += char.length;
    if (used <= width - 1) roomForEllipsis = index;
  }
  if (!cutBefore) return text;
  return used <= width - 1 ? `${text}${ELLIPSIS}` : `${text.slice(0, roomForEllipsis)}${ELLIPSIS}`;
}

/** Terminal columns `text` takes (sanitized text: no controls). */
export function displayWidth(text: string): number {
  let columns = 0;
  for (const char of text) columns += charWidth(char.codePointAt(0)!);
  return columns;
}

/** `text` padded with spaces to `width` columns, or cut to them. */
export function padToWidth(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - displayWidth(cut)));
}

/**
 * Columns of one code point: 0 for combining marks and variation selectors, 2 for East Asian
 * wide/fullwidth characters and emoji, 1 otherwise. A close approximation of what terminals
 * do; Ink's own truncation still guards the rare disagreement.
 */
export function charWidth(codePoint: number): 0 | 1 | 2 {
  if (inRanges(codePoint, ZERO_WIDTH)) return 0;
  if (codePoint >= 0x1100 && inRanges(codePoint, WIDE)) return 2;
  return 1;
}

type Ranges = readonly (readonly [number, number])[];

const ZERO_WIDTH: Ranges = [
  [0x0300, 0x036f],
  [0x0483, 0x0489],
  [0x0591, 0x05bd],
  [0x0610, 0x061a],
  [0x064b, 0x065f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x20d0, 0x20ff],
  [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f],
  [0xe0100, 0xe01ef],
];

const WIDE: Ranges = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26a1, 0x26a1],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f5],
  [0x26fa, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2795, 0x2797],
  [0x2b1b, 0x2b1c],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x18aff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

function inRanges(codePoint: number, ranges: Ranges): boolean {
  for (const [low, high] of ranges) {
    if (codePoint < low) return false;
    if (codePoint <= high) return true;
  }
  return false;
}
