/**
 * Draws a grid of terminal cells (scripts/ansi-grid.mjs) as a picture of a terminal window,
 * in MVG, ImageMagick's own drawing language (`convert mvg:screen.mvg screen.png`).
 *
 * Why MVG and not SVG: ImageMagick's built-in SVG renderer grows every rectangle by a pixel
 * and softens 1px lines, so cell backgrounds overlap and bars blur; MVG's `rectangle x0,y0
 * x1,y1` fills exactly the pixels x0..x1, y0..y1, and its text uses the font file named.
 *
 * Every cell is placed on the grid: text is one `text` per run of same-styled characters at
 * x = column × cell width, with the font size chosen so that DejaVu Sans Mono's advance is
 * exactly one cell. Block elements (▁…█, ▏…▉, ▀▐░▒▓) and box-drawing lines
 * (─│┌┐└┘├┤┬┴┼ and the rounded ╭╮╰╯) are drawn as rectangles and curves instead of glyphs,
 * as terminals do, so bars and borders join without gaps whatever the font's line height.
 */

const FONTS = '/usr/share/fonts/truetype/dejavu';
/** The DejaVu files for each of regular, bold, italic, bold italic, and the title's. */
export const FONT_FILES = {
  regular: `${FONTS}/DejaVuSansMono.ttf`,
  bold: `${FONTS}/DejaVuSansMono-Bold.ttf`,
  italic: `${FONTS}/DejaVuSansMono-Oblique.ttf`,
  boldItalic: `${FONTS}/DejaVuSansMono-BoldOblique.ttf`,
  title: `${FONTS}/DejaVuSans.ttf`,
};
/** DejaVu Sans Mono's advance width, ascent and descent, in em (1233, 1901, 483 of 2048). */
const ADVANCE = 1233 / 2048;
const ASCENT = 1901 / 2048;
const DESCENT = 483 / 2048;

/** GitHub's dark terminal theme: the 16 ANSI colours, the default fg and bg, the frame. */
export const THEME = {
  palette: [
    '#484f58',
    '#ff7b72',
    '#3fb950',
    '#d29922',
    '#58a6ff',
    '#bc8cff',
    '#39c5cf',
    '#b1bac4',
    '#6e7681',
    '#ffa198',
    '#56d364',
    '#e3b341',
    '#79c0ff',
    '#d2a8ff',
    '#56d4dd',
    '#ffffff',
  ],
  fg: '#e6edf3',
  bg: '#0d1117',
  titleBar: '#161b22',
  border: '#30363d',
};

const hex2 = (v) => v.toString(16).padStart(2, '0');

/** xterm's 256-colour table: the theme's 16, a 6×6×6 cube, then 24 greys. */
function paletteColour(n, theme) {
  if (n < 16) return theme.palette[n];
  if (n >= 232) return `#${hex2(8 + 10 * (n - 232)).repeat(3)}`;
  const steps = [0, 95, 135, 175, 215, 255];
  const i = n - 16;
  return `#${hex2(steps[Math.floor(i / 36)])}${hex2(steps[Math.floor(i / 6) % 6])}${hex2(steps[i % 6])}`;
}

/** Halfway between two '#rrggbb' colours: how dim (faint) text is drawn. */
function mix(a, b) {
  const channel = (c, at) => Number.parseInt(c.slice(at, at + 2), 16);
  return `#${[1, 3, 5].map((at) => hex2(Math.round((channel(a, at) + channel(b, at)) / 2))).join('')}`;
}

/** A cell's colours as drawn: palette resolved, inverse swapped, dim mixed into the bg. */
function colours(style, theme) {
  const resolve = (c, fallback) =>
    c === null ? fallback : typeof c === 'number' ? paletteColour(c, theme) : c;
  let fg = resolve(style.fg, theme.fg);
  let bg = resolve(style.bg, null);
  if (style.inverse) [fg, bg] = [bg ?? theme.bg, fg];
  if (style.dim) fg = mix(fg, bg ?? theme.bg);
  return { fg, bg };
}

/** A string as an MVG quoted text: backslashes and quotes escaped (MVG reads `\` escapes). */
export const mvgString = (s) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** Box-drawing characters as the sides of the cell their lines reach. */
const BOX = {
  '─': 'lr',
  '│': 'ud',
  '┌': 'rd',
  '┐': 'ld',
  '└': 'ru',
  '┘': 'lu',
  '├': 'udr',
  '┤': 'udl',
  '┬': 'lrd',
  '┴': 'lru',
  '┼': 'lrud',
  '╭': 'rd',
  '╮': 'ld',
  '╯': 'lu',
  '╰': 'ru',
};
const ROUNDED = new Set(['╭', '╮', '╯', '╰']);

/** An MVG rectangle filling the pixels [left, right) × [top, bottom), rounded to whole pixels. */
function rect(left, top, right, bottom) {
  const [l, t, r, b] = [left, top, right, bottom].map(Math.round);
  return r > l && b > t ? `rectangle ${l},${t} ${r - 1},${b - 1}` : '';
}

/**
 * The MVG that stands for a block element or box-drawing character in the cell at (x, y),
 * or undefined for a character the font draws. `line` is the line thickness in pixels;
 * `colour` strokes the rounded corners (the rest is filled in the current fill).
 */
function shape(ch, x, y, w, h, line, colour) {
  const cp = ch.codePointAt(0);
  if (cp >= 0x2581 && cp <= 0x2588) return rect(x, y + (h * (0x2588 - cp)) / 8, x + w, y + h);
  if (cp >= 0x2589 && cp <= 0x258f) return rect(x, y, x + (w * (0x2590 - cp)) / 8, y + h);
  if (cp === 0x2580) return rect(x, y, x + w, y + h / 2);
  if (cp === 0x2590) return rect(x + w / 2, y, x + w, y + h);
  if (cp === 0x2594) return rect(x, y, x + w, y + h / 8);
  if (cp === 0x2595) return rect(x + (7 * w) / 8, y, x + w, y + h);
  if (cp >= 0x2591 && cp <= 0x2593) {
    return `push graphic-context fill-opacity ${(cp - 0x2590) / 4} ${rect(x, y, x + w, y + h)} pop graphic-context`;
  }
  const sides = BOX[ch];
  if (!sides) return undefined;
  // The line's first pixel row and column, centred in the cell.
  const lx = x + Math.floor((w - line) / 2);
  const ly = y + Math.floor((h - line) / 2);
  if (ROUNDED.has(ch)) {
    // MVG puts pixel centres on whole coordinates, so a stroke's centre is half a pixel in.
    const [cx, cy] = [lx + (line - 1) / 2, ly + (line - 1) / 2];
    const end = { l: [x - 0.5, cy], r: [x + w - 0.5, cy], u: [cx, y - 0.5], d: [cx, y + h - 0.5] };
    const [a, b] = [...sides].map((s) => end[s]);
    // Straight from each side to half a cell from the centre, a quarter curve between.
    const r = w / 2;
    const near = ([px, py]) => [cx + Math.sign(px - cx) * r, cy + Math.sign(py - cy) * r];
    const [a1, b1] = [near(a), near(b)];
    const path = `M ${a} L ${a1} Q ${cx},${cy} ${b1} L ${b}`;
    return `push graphic-context fill none stroke '${colour}' stroke-width ${line} path '${path}' pop graphic-context`;
  }
  const segment = {
    l: rect(x, ly, lx + line, ly + line),
    r: rect(lx, ly, x + w, ly + line),
    u: rect(lx, y, lx + line, ly + line),
    d: rect(lx, ly, lx + line, y + h),
  };
  return [...sides].map((s) => segment[s]).join(' ');
}

/**
 * The MVG of a terminal window showing `grid`: a title bar with `title`, then the cells.
 * `scale` multiplies every size (2 for a sharper picture on high-density screens).
 * @param {import('./ansi-grid.mjs').Row[]} grid
 * @param {{ title?: string, scale?: number, theme?: typeof THEME }} [options]
 */
export function gridToMvg(grid, options = {}) {
  const { title = '', scale = 1, theme = THEME } = options;
  const [w, h, line] = [9 * scale, 18 * scale, scale];
  const fontSize = (w / ADVANCE).toFixed(3);
  const baseline = Math.round(
    (h - (ASCENT + DESCENT) * (w / ADVANCE)) / 2 + ASCENT * (w / ADVANCE),
  );
  const columns = grid[0]?.length ?? 0;
  const [pad, bar, radius] = [14 * scale, 30 * scale, 8 * scale];
  const top = bar + pad / 2;
  const width = columns * w + 2 * pad;
  const height = top + grid.length * h + pad;
  // The window: a border, the title bar over its top, the screen's background below it
  // (square at the top, rounded at the bottom), a line under the bar, three buttons, the title.
  const out = [
    `viewbox 0 0 ${width} ${height}`,
    'stroke none',
    `fill '${theme.border}' roundrectangle 0,0 ${width - 1},${height - 1} ${radius},${radius}`,
    `fill '${theme.titleBar}' roundrectangle ${scale},${scale} ${width - 1 - scale},${height - 1 - scale} ${radius},${radius}`,
    `fill '${theme.bg}' ${rect(scale, bar, width - scale, height - 2 * radius)}`,
    `roundrectangle ${scale},${bar} ${width - 1 - scale},${height - 1 - scale} ${radius},${radius}`,
    `fill '${theme.border}' ${rect(scale, bar - scale, width - scale, bar)}`,
    ...['#ff5f57', '#febc2e', '#28c840'].map(
      (c, i) =>
        `fill '${c}' circle ${(20 + 20 * i) * scale},${bar / 2} ${(26 + 20 * i) * scale},${bar / 2}`,
    ),
    `font '${FONT_FILES.title}' font-size ${13 * scale} fill '${theme.palette[8]}'`,
    `text-anchor middle text ${width / 2},${bar / 2 + 5 * scale} ${mvgString(title)} text-anchor start`,
  ];
  let fill = '';
  let font = '';
  /** Emits `command` in `colour`, naming the colour only when it changes. */
  const draw = (colour, command) => {
    if (!command) return;
    if (colour !== fill) out.push(`fill '${colour}'`);
    fill = colour;
    out.push(command);
  };
  out.push(`font-size ${fontSize}`);
  grid.forEach((row, r) => {
    const y = top + r * h;
    /** @type {{ x: number, chars: string, fg: string, font: string } | null} */
    let run = null;
    const flush = () => {
      if (!run) return;
      if (run.font !== font) out.push(`font '${run.font}'`);
      font = run.font;
      draw(run.fg, `text ${run.x},${y + baseline} ${mvgString(run.chars)}`);
      run = null;
    };
    row.forEach((cell, c) => {
      if (!cell) return;
      const x = pad + c * w;
      const cw = cell.width * w;
      const { fg, bg } = colours(cell.style, theme);
      const { bold, italic, underline, strike } = cell.style;
      if (bg) draw(bg, rect(x, y, x + cw, y + h));
      if (underline) draw(fg, rect(x, y + h - 2 * line, x + cw, y + h - line));
      if (strike) draw(fg, rect(x, y + h / 2, x + cw, y + h / 2 + line));
      const drawn = shape(cell.ch, x, y, w, h, line, fg);
      const cellFont =
        FONT_FILES[bold && italic ? 'boldItalic' : bold ? 'bold' : italic ? 'italic' : 'regular'];
      // A run ends at a blank, a drawn shape, a wide character or a change of style, so
      // each run starts on its own cell's x.
      if (
        run &&
        (drawn || cell.ch === ' ' || cell.width === 2 || run.fg !== fg || run.font !== cellFont)
      ) {
        flush();
      }
      if (drawn) draw(fg, drawn);
      else if (cell.ch !== ' ') {
        if (run) run.chars += cell.ch;
        else run = { x, chars: cell.ch, fg, font: cellFont };
        if (cell.width === 2) flush();
      }
    });
    flush();
  });
  return `${out.join('\n')}\n`;
}
