import { useInput } from 'ink';
import { useRef, useState } from 'react';
import {
  applyKey,
  INITIAL_KEY_STATE,
  type KeyContext,
  type KeyPress,
  type KeyState,
} from '../dashboard-keys.js';
import { isMouseReport, useMouseWheel } from './use-mouse-wheel.js';

/**
 * The dashboard's keys (see {@link applyKey}): the state they leave, updated on every key
 * press; `q` and Ctrl-C call `onQuit`. The mouse wheel moves as ↑ and ↓ do. `context` is
 * read when a key arrives, so it is always the list the screen shows now. `intercept` sees
 * each key press first.
 */
export function useDashboardKeys(
  onQuit: () => void,
  context: () => KeyContext,
  /** Sees each key first; true when it took the key (a replay's keys). */
  intercept: (key: KeyPress) => boolean = () => false,
): KeyState {
  const [state, setState] = useState<KeyState>(INITIAL_KEY_STATE);
  // Keys may arrive faster than renders: each one applies to the state the last one left.
  const latest = useRef(state);
  const press = (key: KeyPress) => {
    // Keys typed faster than they are read come as one text: each key in turn, so that each
    // one reaches whoever takes it (the replay's keys, the filter, the dashboard's).
    const chars = [...key.input];
    if (chars.length > 1 && !key.ctrl && !key.meta) {
      for (const char of chars)
        press(char === '\r' ? { input: '', return: true } : { input: char });
      return;
    }
    if (intercept(key)) return;
    const next = applyKey(latest.current, key, context());
    if (next === 'quit') {
      onQuit();
      return;
    }
    latest.current = next;
    setState(next);
  };
  useInput((input, key) => {
    // Clicks and wheel turns are no keys (the wheel is read below), and no filter text.
    if (!isMouseReport(input)) press({ ...key, input });
  });
  useMouseWheel((direction) =>
    press(direction === -1 ? { input: '', upArrow: true } : { input: '', downArrow: true }),
  );
  return state;
}
