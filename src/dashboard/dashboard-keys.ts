/**
 * What the dashboard's keys do (SPEC "Dashboard keys"), as a pure function of the screen's
 * state and one key press, so every key is tested without a terminal. The hook that reads
 * the terminal (`useDashboardKeys`) only feeds it.
 */
import { nextSort, type ServiceSort } from './service-order.js';

/** What the body of the screen shows. */
export type DashboardView = 'panels' | 'help' | 'detail' | 'anomalies';

export interface KeyState {
  readonly view: DashboardView;
  /** The display is frozen (the stream keeps being processed). */
  readonly paused: boolean;
  /** Services whose name contains this (case-insensitive) are listed; '' lists all. */
  readonly filter: string;
  /** Keys type into the filter (after `/`, until Enter or Esc). */
  readonly editingFilter: boolean;
  readonly sort: ServiceSort;
  /**
   * The selected service, by name, so the selection follows the service when the order
   * changes; null selects the first one listed.
   */
  readonly selected: string | null;
  /** Anomalies scrolled past at the top of the Anomalies view. */
  readonly anomalyScroll: number;
}

export const INITIAL_KEY_STATE: KeyState = {
  view: 'panels',
  paused: false,
  filter: '',
  editingFilter: false,
  sort: 'worst',
  selected: null,
  anomalyScroll: 0,
};

/** A key press as Ink reports it: the text typed and the special keys. */
export interface KeyPress {
  readonly input: string;
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly tab?: boolean;
}

/** What the keys act on: the services as listed now, and how many rows a page is. */
export interface KeyContext {
  readonly services: readonly { readonly service: string }[];
  readonly pageRows: number;
}

/** The longest filter kept: no service name a screen shows is longer. */
const FILTER_LIMIT = 200;

/** The state after `key`, or `'quit'` for `q` and Ctrl-C. */
export function applyKey(state: KeyState, key: KeyPress, context: KeyContext): KeyState | 'quit' {
  const letter = key.input.toLowerCase();
  if (key.ctrl && letter === 'c') return 'quit';
  // Keys typed faster than they are read come as one text: each key in turn.
  const chars = [...key.input];
  if (chars.length > 1 && !state.editingFilter && !key.ctrl && !key.meta) {
    let next: KeyState | 'quit' = state;
    for (const [index, char] of chars.entries()) {
      next = applyKey(next, { input: char }, context);
      if (next === 'quit') return next;
      // The rest is the filter's text once a key starts one.
      if (next.editingFilter)
        return applyKey(next, { input: chars.slice(index + 1).join('') }, context);
    }
    return next;
  }
  // Esc and a key typed right after it reach us as one Alt-key: both are meant.
  if (key.meta && !key.escape && key.input.length === 1 && key.input >= ' ') {
    const escaped = applyKey(state, { input: '', escape: true }, context);
    return escaped === 'quit' ? escaped : applyKey(escaped, { input: key.input }, context);
  }
  // While typing a filter, letters are text: only the arrow and page keys move.
  const move = movement(key, context.pageRows, !state.editingFilter);
  if (state.editingFilter) {
    if (key.escape) return withSelection({ ...state, filter: '', editingFilter: false });
    if (key.return) return { ...state, editingFilter: false };
    if (key.backspace || key.delete) return { ...state, filter: state.filter.slice(0, -1) };
    if (move !== null) return moveSelection(state, move, context);
    // Text and Enter that arrived together (typed fast, or pasted): the text, then Enter.
    const enter = key.input.search(/[\r\n]/);
    if (enter !== -1) {
      const typed = applyKey(state, { input: key.input.slice(0, enter) }, context);
      return typed === 'quit' ? typed : { ...typed, editingFilter: false };
    }
    const typed = printable(key);
    if (typed === '') return state;
    return { ...state, filter: (state.filter + typed).slice(0, FILTER_LIMIT) };
  }
  if (key.escape) {
    if (state.view !== 'panels') return { ...state, view: 'panels' };
    return state.filter === '' ? state : withSelection({ ...state, filter: '' });
  }
  if (key.ctrl || key.meta) return state;
  if (letter === 'q') return 'quit';
  if (letter === 'p') return { ...state, paused: !state.paused };
  if (key.input === '?') return { ...state, view: state.view === 'help' ? 'panels' : 'help' };
  if (key.input === '/') return { ...state, editingFilter: true, view: detailless(state.view) };
  if (letter === 's') return { ...state, sort: nextSort(state.sort) };
  if (letter === 'a') {
    return { ...state, view: state.view === 'anomalies' ? 'panels' : 'anomalies' };
  }
  if (key.return) {
    if (state.view === 'detail') return { ...state, view: 'panels' };
    const selected = selectedService(state, context.services);
    return selected === null ? state : { ...state, view: 'detail', selected };
  }
  if (move === null) return state;
  if (state.view === 'anomalies') {
    const scroll = move.to === 'start' ? 0 : state.anomalyScroll + (move.by ?? 0);
    return { ...state, anomalyScroll: Math.max(0, scroll) };
  }
  return moveSelection(state, move, context);
}

/** The selected service: the one named by the state when listed, else the first listed. */
export function selectedService(
  state: KeyState,
  services: readonly { readonly service: string }[],
): string | null {
  return services[selectedIndex(state, services)]?.service ?? null;
}

/** Where the selected service is in `services`: 0 when it is not listed, -1 when none is. */
export function selectedIndex(
  state: KeyState,
  services: readonly { readonly service: string }[],
): number {
  if (services.length === 0) return -1;
  if (state.selected === null) return 0;
  const index = services.findIndex((row) => row.service === state.selected);
  return index === -1 ? 0 : index;
}

type Movement =
  | { readonly by: number; readonly to?: undefined }
  | { to: 'start' | 'end'; by?: undefined };

function movement(key: KeyPress, pageRows: number, letters: boolean): Movement | null {
  const page = Math.max(1, pageRows);
  const letter = letters && !key.ctrl && !key.meta ? key.input : '';
  if (key.upArrow || letter === 'k') return { by: -1 };
  if (key.downArrow || letter === 'j') return { by: 1 };
  if (key.pageUp) return { by: -page };
  if (key.pageDown || letter === ' ') return { by: page };
  if (key.home || letter === 'g') return { to: 'start' };
  if (key.end || letter === 'G') return { to: 'end' };
  return null;
}

function moveSelection(state: KeyState, move: Movement, context: KeyContext): KeyState {
  const { services } = context;
  if (services.length === 0) return state;
  const from = selectedIndex(state, services);
  const to =
    move.to === 'start'
      ? 0
      : move.to === 'end'
        ? services.length - 1
        : Math.min(services.length - 1, Math.max(0, from + (move.by ?? 0)));
  return { ...state, selected: services[to]!.service };
}

/** A new filter selects from the top again (the first of the new list). */
function withSelection(state: KeyState): KeyState {
  return { ...state, selected: null };
}

/** Filtering from the detail view goes back to the lists it filters. */
function detailless(view: DashboardView): DashboardView {
  return view === 'detail' || view === 'help' ? 'panels' : view;
}

/** The text a key typed, when it is text (no control characters). */
function printable(key: KeyPress): string {
  if (key.ctrl || key.meta || key.tab || key.return) return '';
  // Only visible characters: a pasted escape sequence must not reach the screen.
  return [...key.input].filter((char) => char >= ' ' && char !== '\x7f').join('');
}
