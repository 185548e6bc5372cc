import type { Observer } from 'rxjs';

/**
 * A second output of an operator (Task 4's forwarded events, the late events of Tasks 2
 * and 6): a function called with each value, or an observer, which also sees the source's
 * completion and error, as with `tap`.
 */
export type SideOutput<T> = Partial<Observer<T>> | ((value: T) => void);

/** The side output as an observer whose methods can be passed around unbound. */
export function sideOutputObserver<T>(output: SideOutput<T> | undefined): Partial<Observer<T>> {
  if (output === undefined) return {};
  if (typeof output === 'function') return { next: output };
  // Bound so that class-based observers keep their `this`.
  return {
    next: output.next?.bind(output),
    error: output.error?.bind(output),
    complete: output.complete?.bind(output),
  };
}
