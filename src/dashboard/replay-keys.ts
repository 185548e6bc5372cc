/**
 * The keys of a replay in the dashboard (`logstream replay <file> --dashboard`), as a pure
 * function of the jump prompt and one key press, beside the dashboard's own keys
 * (dashboard-keys.ts), which get every key this leaves alone.
 */
import { nonNegativeDuration } from '../cli/values.js';
import type { KeyPress } from './dashboard-keys.js';

/** What a key asks of the replay. */
export type ReplayCommand =
  | { readonly type: 'pause' }
  | { readonly type: 'step' }
  | { readonly type: 'faster' }
  | { readonly type: 'slower' }
  /** To this many milliseconds into the recording. */
  | { readonly type: 'jump'; readonly to: number };

/** The prompt `t` opens: the time to jump to, being typed. */
export interface JumpPrompt {
  readonly editing: boolean;
  readonly text: string;
  /** Why the last time typed was refused (not a duration, already past). */
  readonly error: string | null;
}

export const CLOSED_PROMPT: JumpPrompt = { editing: false, text: '', error: null };

/** What one key did: the prompt it leaves, the command it gives, and whether it was a replay key. */
export interface ReplayKeyResult {
  readonly prompt: JumpPrompt;
  readonly command?: ReplayCommand;
  /** False: the key is the dashboard's (q, /, s, the arrows…). */
  readonly handled: boolean;
}

/**
 * `p` pauses and resumes the replay, `n` steps one batch, `+` and `-` double and halve the
 * speed, `t` opens the jump prompt: a duration into the recording (`90s`, `2m`), Enter jumps,
 * Esc closes. While the prompt is open every key is its.
 */
export function applyReplayKey(prompt: JumpPrompt, key: KeyPress): ReplayKeyResult {
  if (prompt.editing) return typed(prompt, key);
  if (key.ctrl || key.meta) return { prompt, handled: false };
  switch (key.input) {
    case 'p':
    case 'P':
      return { prompt, command: { type: 'pause' }, handled: true };
    case 'n':
      return { prompt, command: { type: 'step' }, handled: true };
    case '+':
    case '=':
      return { prompt, command: { type: 'faster' }, handled: true };
    case '-':
    case '_':
      return { prompt, command: { type: 'slower' }, handled: true };
    case 't':
      return { prompt: { editing: true, text: '', error: null }, handled: true };
    default:
      return { prompt, handled: false };
  }
}

/** Says that a jump to `text` was refused (the replay is already past it). */
export function refusedJump(text: string): JumpPrompt {
  return { editing: false, text: '', error: `${text} is already past: a replay cannot go back` };
}

/** The longest time typed: no duration is longer. */
const TEXT_LIMIT = 24;

function typed(prompt: JumpPrompt, key: KeyPress): ReplayKeyResult {
  if (key.escape) return { prompt: CLOSED_PROMPT, handled: true };
  if (key.ctrl && key.input.toLowerCase() === 'c') return { prompt: CLOSED_PROMPT, handled: false };
  if (key.return || /[\r\n]/.test(key.input)) {
    const text = (prompt.text + key.input.replace(/[\r\n].*$/s, '')).trim();
    let seconds: number;
    try {
      seconds = nonNegativeDuration(text);
    } catch {
      return {
        prompt: { editing: true, text, error: `'${text}' is not a duration (like 90s, 2m)` },
        handled: true,
      };
    }
    return { prompt: CLOSED_PROMPT, command: { type: 'jump', to: seconds * 1000 }, handled: true };
  }
  if (key.backspace || key.delete) {
    return { prompt: { ...prompt, text: prompt.text.slice(0, -1), error: null }, handled: true };
  }
  const text = [...key.input].filter((char) => /[0-9a-z.]/i.test(char)).join('');
  return {
    prompt: { ...prompt, text: (prompt.text + text).slice(0, TEXT_LIMIT), error: null },
    handled: true,
  };
}
