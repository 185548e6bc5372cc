import type { EventBatch } from '../../operators/batch.js';

/** One batch of valid events read from the source. */
export interface SourceBatch {
  /** 1, 2, … in the order batches leave the source. */
  readonly index: number;
  /** The file's name without directory, `-` for standard input. */
  readonly file: string;
  readonly batch: EventBatch;
  /** Events in the batch that failed validation (reported separately). */
  readonly invalid: number;
}

/**
 * Something the source could not use: a whole file (`broken`), some of its events
 * (`invalid`, with how many), or a notice that loses nothing (`warning`).
 */
export interface SourceProblem {
  readonly kind: 'broken' | 'invalid' | 'warning';
  readonly file: string;
  readonly reason: string;
  /** Events concerned (for `invalid`). */
  readonly count: number;
}

export interface SourceOptions {
  /** Keep watching for new and growing files (default), or read what is there and complete. */
  readonly follow: boolean;
  /** Told of every problem; the source goes on. */
  readonly onProblem: (problem: SourceProblem) => void;
  /**
   * Awaited before each read: the sink's way to hold the source back while it catches up,
   * so a slow reader never makes memory grow.
   */
  readonly ready?: () => Promise<void>;
  /**
   * Threads that read and scan `.json` files in parallel with the operators (0 or absent:
   * read on the calling thread). Only from the compiled package, where the thread's script is.
   */
  readonly readerThreads?: number;
}
