/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): metric families rendered
 * as `# HELP` and `# TYPE` lines followed by their samples. Pure: no I/O, no clock.
 */

/** The Content-Type of a response in this format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The metric types logstream exports (no histograms or summaries). */
export type MetricType = 'counter' | 'gauge';

/** One sample of a family: its labels (in the order given) and its value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: every sample of one metric name. */
export interface MetricFamily {
  /** Snake case; a counter's ends with `_total` (the name scrapers and queries use). */
  readonly name: string;
  /** One line for people; backslashes and line breaks are escaped. */
  readonly help: string;
  readonly type: MetricType;
  /** None is allowed: the family is then announced (HELP, TYPE) with no sample yet. */
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * `families` as exposition text, in the order given (samples too), each family's HELP and
 * TYPE lines before its samples, every line ending with a newline.
 * @throws {RangeError} for a metric or label name the format does not allow, a label name
 * starting with `__` (reserved), a counter not named `…_total`, or a name given twice:
 * mistakes of the code that builds the families, never of the data (label values may hold
 * anything: they are escaped).
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  const labelNames = new Set<string>();
  // One string grown by concatenation: with 10,000 services a scrape is some 70,000 lines,
  // and V8 appends to a string faster than it joins an array of them.
  let text = '';
  for (const family of families) {
    checkFamily(family, seen);
    const { name } = family;
    text += `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`;
    for (const sample of family.samples) {
      text += `${name}${renderLabels(sample.labels, labelNames)} ${formatValue(sample.value)}\n`;
    }
  }
  return text;
}

function checkFamily(family: MetricFamily, seen: Set<string>): void {
  const { name } = family;
  if (!METRIC_NAME.test(name)) throw new RangeError(`not a metric name: ${JSON.stringify(name)}`);
  if (seen.has(name)) throw new RangeError(`metric family ${name} given twice`);
  seen.add(name);
  if (family.type === 'counter' && !name.endsWith('_total')) {
    throw new RangeError(`counter ${name} must be named …_total`);
  }
}

/** `{a="x",b="y"}`, or nothing without labels; `checked` holds the label names found valid. */
function renderLabels(
  labels: Readonly<Record<string, string>> | undefined,
  checked: Set<string>,
): string {
  if (labels === undefined) return '';
  let rendered = '';
  for (const name in labels) {
    if (!checked.has(name)) {
      if (!LABEL_NAME.test(name) || name.startsWith('__')) {
        throw new RangeError(`not a label name: ${JSON.stringify(name)}`);
      }
      checked.add(name);
    }
    rendered += `${rendered === '' ? '{' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return rendered === '' ? '' : `${rendered}}`;
}

/**
 * A label value as the format quotes it: backslash, double quote and line feed escaped
 * (`\\`, `\"`, `\n`); everything else, any Unicode included, as it is (the text is UTF-8).
 */
export function escapeLabelValue(value: string): string {
  // Most service names have nothing to escape: a test is cheaper than a replace.
  return LABEL_SPECIAL.test(value) ? value.replace(LABEL_SPECIALS, escapeCharacter) : value;
}

const LABEL_SPECIAL = /[\\"\n]/;
const LABEL_SPECIALS = /[\\"\n]/g;
const escapeCharacter = (character: string): string => LABEL_ESCAPES[character]!;

const LABEL_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' };

/** A HELP text as the format wants it: backslash and line feed escaped (quotes are not). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (character) => (character === '\\' ? '\\\\' : '\\n'));
}

/** A sample value: Go's float syntax, which JavaScript's shortest round-trip form is, plus the format's `NaN`, `+Inf`, `-Inf`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
