/**
 * Waiting out a cluster that is busy: for some seconds after a node dies, while leaders are
 * elected, JetStream answers requests with time-outs or "no responders" (which the client
 * reports as "jetstream is not enabled"), and a loaded machine answers late. Those are
 * waited for, saying so once; a refusal (a {@link UsageError}, by default) is not.
 */
import { UsageError } from '../usage-error.js';

export interface RetryOptions {
  /** Told the first failure of a run of them, with its reason. */
  readonly say: (reason: string) => void;
  /** Asked after each failure: true ends the wait, which resolves with undefined. */
  readonly givenUp?: () => boolean;
  /** After failing for this long, the last error is thrown; no limit by default. */
  readonly limitMs?: number;
  /** Whether an error is a refusal, thrown at once. */
  readonly isRefusal?: (error: unknown) => boolean;
  /** The pause between tries; a caller that stops passes one it can cut short. */
  readonly pause?: (ms: number) => Promise<void>;
}

const PAUSE_MS = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `step` until it succeeds and resolves with its result, or with undefined once
 * `givenUp()`.
 * @throws the step's error when it is a refusal, or when failures outlast `limitMs`.
 */
export function retrying<T>(
  step: () => Promise<T>,
  options: RetryOptions & { givenUp?: undefined },
): Promise<T>;
export function retrying<T>(step: () => Promise<T>, options: RetryOptions): Promise<T | undefined>;
export async function retrying<T>(
  step: () => Promise<T>,
  options: RetryOptions,
): Promise<T | undefined> {
  const isRefusal = options.isRefusal ?? ((error) => error instanceof UsageError);
  const pause = options.pause ?? sleep;
  const started = Date.now();
  let said = false;
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (isRefusal(error)) throw error;
      if (options.limitMs !== undefined && Date.now() - started >= options.limitMs) throw error;
      if (options.givenUp?.()) return undefined;
      if (!said) options.say((error as Error).message);
      said = true;
      await pause(PAUSE_MS);
    }
  }
}
