import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  renderExposition,
} from '../../src/metrics/exposition.js';

/** A label value read back as a Prometheus parser reads it: the format's three escapes undone. */
function unescapeLabelValue(quoted: string): string {
  return quoted.replace(/\\(.)/gs, (_, character: string) =>
    character === 'n' ? '\n' : character,
  );
}

describe('renderExposition', () => {
  it('writes HELP, then TYPE, then the samples of each family, in the order given', () => {
    const families: MetricFamily[] = [
      { name: 'b_total', help: 'Bs.', type: 'counter', samples: [{ value: 3 }] },
      {
        name: 'a_ratio',
        help: 'As per service.',
        type: 'gauge',
        samples: [
          { labels: { service: 'zeta' }, value: 0.5 },
          { labels: { service: 'alpha' }, value: 0.25 },
        ],
      },
    ];
    expect(renderExposition(families)).toBe(
      [
        '# HELP b_total Bs.',
        '# TYPE b_total counter',
        'b_total 3',
        '# HELP a_ratio As per service.',
        '# TYPE a_ratio gauge',
        'a_ratio{service="zeta"} 0.5',
        'a_ratio{service="alpha"} 0.25',
        '',
      ].join('\n'),
    );
  });

  it('announces a family without samples, and renders nothing for no family', () => {
    const empty: MetricFamily = { name: 'x_total', help: 'X.', type: 'counter', samples: [] };
    expect(renderExposition([empty])).toBe('# HELP x_total X.\n# TYPE x_total counter\n');
    expect(renderExposition([])).toBe('');
  });

  it('keeps the labels in the order given, comma-separated', () => {
    const text = renderExposition([
      {
        name: 'info',
        help: 'I.',
        type: 'gauge',
        samples: [{ labels: { version: '1.0', arch: 'x64' }, value: 1 }],
      },
    ]);
    expect(text).toContain('info{version="1.0",arch="x64"} 1\n');
  });

  it('escapes backslash, double quote and line feed in label values, nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    // Other controls and any Unicode stay as they are: the text is UTF-8, quoted.
    expect(escapeLabelValue('tab\there é 🚀 \r')).toBe('tab\there é 🚀 \r');
    const text = renderExposition([
      {
        name: 's_total',
        help: 'S.',
        type: 'counter',
        samples: [{ labels: { service: 'evil"} 1\nfake_total 9' }, value: 2 }],
      },
    ]);
    // The forged sample stays inside the quotes, on the one line.
    expect(text.split('\n')).toEqual([
      '# HELP s_total S.',
      '# TYPE s_total counter',
      's_total{service="evil\\"} 1\\nfake_total 9"} 2',
      '',
    ]);
  });

  it('gives back every label value a parser unescapes, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const line = renderExposition([
          { name: 'm', help: 'M.', type: 'gauge', samples: [{ labels: { l: value }, value: 1 }] },
        ]).split('\n')[2]!;
        const quoted = /^m\{l="((?:[^"\\\n]|\\.)*)"\} 1$/su.exec(line);
        expect(quoted).not.toBeNull();
        expect(unescapeLabelValue(quoted![1]!)).toBe(value);
      }),
    );
  });

  it('escapes backslash and line feed in HELP, not quotes', () => {
    expect(escapeHelp('a\\b\nc "d"')).toBe('a\\\\b\\nc "d"');
    const text = renderExposition([{ name: 'h', help: 'one\ntwo', type: 'gauge', samples: [] }]);
    expect(text).toBe('# HELP h one\\ntwo\n# TYPE h gauge\n');
  });

  it('writes values as Go parses them, with NaN and the infinities spelled as the format does', () => {
    expect(formatValue(0)).toBe('0');
    expect(formatValue(42)).toBe('42');
    expect(formatValue(0.1)).toBe('0.1');
    expect(formatValue(1e21)).toBe('1e+21');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe('-Inf');
  });

  it('refuses names the format does not allow, counters without _total, and a name twice', () => {
    const family = (name: string, type: 'counter' | 'gauge' = 'gauge'): MetricFamily => ({
      name,
      help: 'H.',
      type,
      samples: [],
    });
    expect(() => renderExposition([family('logstream-events')])).toThrow(RangeError);
    expect(() => renderExposition([family('9lives')])).toThrow(RangeError);
    expect(() => renderExposition([family('logstream_events', 'counter')])).toThrow(/_total/);
    expect(() => renderExposition([family('a'), family('a')])).toThrow(/twice/);
    const labelled = (label: string): MetricFamily => ({
      name: 'g',
      help: 'G.',
      type: 'gauge',
      samples: [{ labels: { [label]: 'x' }, value: 1 }],
    });
    expect(() => renderExposition([labelled('service-name')])).toThrow(/label name/);
    expect(() => renderExposition([labelled('__name__')])).toThrow(/label name/);
  });
});
