import { lastValueFrom, type Subscription, toArray } from 'rxjs';
import { directorySource } from '../../src/source/directory.js';
import type { SourceBatch, SourceProblem } from '../../src/source/types.js';
import { waitUntil } from './wait.js';

/** What a batch holds, in a form that reads well in an assertion. */
export const summary = (batch: SourceBatch) => ({
  index: batch.index,
  file: batch.file,
  services: [...batch.batch.services],
});

/** Reads what the directory holds now (no following), with the problems it reports. */
export async function readOnce(dir: string) {
  const problems: SourceProblem[] = [];
  const batches = await lastValueFrom(
    directorySource(dir, { follow: false, onProblem: (p) => problems.push(p) }).pipe(toArray()),
  );
  return { batches, problems };
}

/** A directory followed by a test, with what it has read and reported so far. */
export interface FollowedDirectory {
  readonly batches: SourceBatch[];
  readonly problems: SourceProblem[];
  readonly subscription: Subscription;
  /** Resolves once `condition` holds; fails after WAIT_MS with what was read. */
  waitFor(condition: () => boolean, what: string): Promise<void>;
}

/** Follows a directory; the test acts on it and waits for what it expects. */
export function follow(dir: string): FollowedDirectory {
  const batches: SourceBatch[] = [];
  const problems: SourceProblem[] = [];
  const subscription = directorySource(dir, {
    follow: true,
    onProblem: (p) => problems.push(p),
  }).subscribe((batch) => batches.push(batch));
  const seen = () => `; seen ${JSON.stringify({ batches: batches.map(summary), problems })}`;
  return {
    batches,
    problems,
    subscription,
    waitFor: (condition, what) => waitUntil(condition, what, { seen }),
  };
}

/** Runs `test` on the followed directory, and stops following once it ends, failed or not. */
export async function whileFollowing(
  dir: string,
  test: (source: FollowedDirectory) => Promise<void>,
): Promise<void> {
  const source = follow(dir);
  try {
    await test(source);
  } finally {
    source.subscription.unsubscribe();
  }
}
