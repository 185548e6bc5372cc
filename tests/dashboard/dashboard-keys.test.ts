import { describe, expect, it } from 'vitest';
import {
  applyKey,
  INITIAL_KEY_STATE,
  type KeyPress,
  type KeyState,
  selectedService,
} from '../../src/dashboard/dashboard-keys.js';

const services = ['a', 'b', 'c', 'd', 'e'].map((service) => ({ service }));
const context = { services, pageRows: 2 };

/** The state after typing each key in turn (a string is typed as text). */
function press(...keys: (string | Omit<KeyPress, 'input'>)[]): KeyState | 'quit' {
  let state: KeyState | 'quit' = INITIAL_KEY_STATE;
  for (const key of keys) {
    if (state === 'quit') return state;
    state = applyKey(
      state,
      typeof key === 'string' ? { input: key } : { input: '', ...key },
      context,
    );
  }
  return state;
}

const state = (...keys: Parameters<typeof press>) => press(...keys) as KeyState;

describe('the dashboard keys', () => {
  it('quit on q, Q and Ctrl-C, also while typing a filter only on Ctrl-C', () => {
    expect(press('q')).toBe('quit');
    expect(press('Q')).toBe('quit');
    expect(applyKey(INITIAL_KEY_STATE, { input: 'c', ctrl: true }, context)).toBe('quit');
    expect(state('/', 'q').filter).toBe('q');
    expect(press('/', 'q', { ctrl: true, input: 'c' } as never)).toBe('quit');
  });

  it('move the selection with the arrows, j/k, the page keys, g and G, within the list', () => {
    expect(state({ downArrow: true }).selected).toBe('b');
    expect(state('j', 'j', 'k').selected).toBe('b');
    expect(state({ upArrow: true }).selected).toBe('a');
    expect(state({ pageDown: true }).selected).toBe('c');
    expect(state('G').selected).toBe('e');
    expect(state('G', 'j').selected).toBe('e');
    expect(state('G', 'g').selected).toBe('a');
  });

  it('type a filter after /, letters included, until Enter keeps it or Esc clears it', () => {
    const typing = state('/', 'j', 'o', 'b');
    expect(typing).toMatchObject({ editingFilter: true, filter: 'job', selected: null });
    expect(state('/', 'a', 'b', { backspace: true }).filter).toBe('a');
    expect(state('/', 'x', { return: true })).toMatchObject({ editingFilter: false, filter: 'x' });
    expect(state('/', 'x', { escape: true })).toMatchObject({ editingFilter: false, filter: '' });
    // Kept, then cleared by Esc from the panels.
    expect(state('/', 'x', { return: true }, { escape: true }).filter).toBe('');
    // Keys read together: each in turn, the filter's text once / started one.
    expect(state('/svc-21\r')).toMatchObject({ editingFilter: false, filter: 'svc-21' });
    expect(state('jj')).toMatchObject({ selected: 'c' });
    // Text and Enter in one read: both.
    expect(state('/', 'svc-21\r')).toMatchObject({ editingFilter: false, filter: 'svc-21' });
    // Typed escape sequences and control characters never reach the filter.
    expect(state('/', '\x1b[31m', 'a\x07').filter).toBe('[31ma');
  });

  it('take Esc and the key right after it, read as one Alt-key, as both', () => {
    expect(state('/', 'x', { return: true }, { meta: true, input: 'a' } as never)).toMatchObject({
      filter: '',
      view: 'anomalies',
    });
  });

  it('cycle the sort on s: worst rate first, volume, name', () => {
    expect(INITIAL_KEY_STATE.sort).toBe('worst');
    expect(state('s').sort).toBe('volume');
    expect(state('s', 's').sort).toBe('name');
    expect(state('s', 's', 's').sort).toBe('worst');
  });

  it('open the selected service on Enter and go back on Esc', () => {
    const detail = state('j', { return: true });
    expect(detail).toMatchObject({ view: 'detail', selected: 'b' });
    expect(applyKey(detail, { input: '', escape: true }, context)).toMatchObject({
      view: 'panels',
      selected: 'b',
    });
    // The first service when none was chosen yet.
    expect(state({ return: true })).toMatchObject({ view: 'detail', selected: 'a' });
    const none = applyKey(
      INITIAL_KEY_STATE,
      { input: '', return: true },
      { services: [], pageRows: 1 },
    );
    expect(none).toEqual(INITIAL_KEY_STATE);
  });

  it('show the anomalies on a, scrolled by the arrows, and the help on ?', () => {
    expect(state('a').view).toBe('anomalies');
    expect(state('a', 'j', 'j', 'k').anomalyScroll).toBe(1);
    expect(state('a', 'k').anomalyScroll).toBe(0);
    expect(state('a', 'a').view).toBe('panels');
    expect(state('?').view).toBe('help');
    expect(state('?', { escape: true }).view).toBe('panels');
    expect(state('p').paused).toBe(true);
    expect(state('p', 'p').paused).toBe(false);
  });

  it('keep the selected service by name when the list changes', () => {
    const selected = state('j', 'j');
    expect(selectedService(selected, [{ service: 'c' }, { service: 'a' }])).toBe('c');
    expect(selectedService(selected, [{ service: 'x' }])).toBe('x');
    expect(selectedService(selected, [])).toBeNull();
  });
});
