import { setTimeout as sleep } from 'node:timers/promises';

/** How long a test waits for an expected record, batch or message before it fails. */
export const WAIT_MS = 10_000;

export interface WaitOptions {
  /** Fails after this long. Default WAIT_MS. */
  readonly timeoutMs?: number;
  /** How often `condition` is checked. Default 20 ms. */
  readonly intervalMs?: number;
  /** What the failure adds after its first line: what the test saw so far. */
  readonly seen?: () => string;
}

/**
 * Resolves once `condition` holds, checking it now and then every `intervalMs`; rejects with
 * `timed out after <timeoutMs> ms waiting for <what>` when it has not held in time, or with
 * whatever `condition` throws (to give up early, say when the process watched has exited).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = WAIT_MS, intervalMs = 20, seen }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen?.() ?? ''}`);
    }
    await sleep(intervalMs);
  }
}
