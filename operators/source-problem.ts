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
  /** For `invalid`: the reason alone, without the count and positions of {@link reason}. */
  readonly cause?: string;
  /** For `invalid`: the line numbers (NDJSON) or array indexes (`.json`) of the events, the first 1,000. */
  readonly lines?: readonly number[];
  readonly indexes?: readonly number[];
}
