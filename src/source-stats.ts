import { BehaviorSubject, type Observable } from 'rxjs';
import type { SourceBatch, SourceProblem } from './source/types.js';

/** The source's progress, as the dashboard's header shows it. */
export interface SourceStats {
  /** Files read so far (with at least one event, or broken). */
  readonly files: number;
  /** Valid events read so far. */
  readonly events: number;
  /** Invalid events so far (counted and reported, never processed). */
  readonly invalid: number;
  /** Files that could not be read or parsed. */
  readonly brokenFiles: number;
  /** The latest problem reported, `file: reason`; null when none. */
  readonly latestError: string | null;
}

/** Counts what the source reads and reports, for the dashboard's header. */
export class SourceMonitor {
  private readonly files = new Set<string>();
  private readonly broken = new Set<string>();
  private events = 0;
  private invalid = 0;
  private latestError: string | null = null;
  private readonly subject = new BehaviorSubject<SourceStats>(this.snapshot());

  readonly stats: Observable<SourceStats> = this.subject.asObservable();

  batch = (batch: SourceBatch): void => {
    this.files.add(batch.file);
    this.events += batch.batch.length;
    this.subject.next(this.snapshot());
  };

  problem = (problem: SourceProblem): void => {
    if (problem.kind === 'broken') {
      this.files.add(problem.file);
      this.broken.add(problem.file);
    }
    if (problem.kind === 'invalid') this.invalid += problem.count;
    this.latestError = `${problem.file}: ${problem.reason}`;
    this.subject.next(this.snapshot());
  };

  complete(): void {
    this.subject.complete();
  }

  private snapshot(): SourceStats {
    return {
      files: this.files.size,
      events: this.events,
      invalid: this.invalid,
      brokenFiles: this.broken.size,
      latestError: this.latestError,
    };
  }
}
