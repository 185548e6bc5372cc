import {
  encodeFrame,
  encodeHeader,
  type RecordingFrame,
} from '../../operators/testing/recording.js';
import { AppendFile } from '../append-file.js';
import type { SourceBatch, SourceProblem } from '../source/types.js';

export interface RecorderOptions {
  /** How the recording is named in messages, e.g. `--record run.lsrec`. */
  readonly label: string;
  /** The source being recorded, as it was named. */
  readonly source: string;
  /** Whether the source is followed (a replay then behaves as a followed run). */
  readonly follow: boolean;
  /** Told of a write failure (a full disk): the run goes on, the frames from then on are counted as lost. */
  readonly onProblem: (problem: SourceProblem) => void;
  /** The tasks whose timers will be ticked ({@link Recorder.tick}), and what shapes them. */
  readonly timers?: { readonly [task: string]: unknown };
}

/**
 * Writes a recording (see operators/testing/recording.ts) as the source delivers: each batch,
 * problem and timer tick one line, stamped with the milliseconds since the recording was
 * opened. The
 * lines go through an {@link AppendFile}: large writes, whole lines only (a kill leaves the
 * recording readable up to its last complete frame), and memory bounded as long as the
 * source awaits {@link ready} before each read.
 */
export class Recorder {
  /** Milliseconds of the last frame: a clock set back does not reorder the recording. */
  private last = 0;
  private ended = false;

  private constructor(
    private readonly file: AppendFile,
    /** Epoch milliseconds of the start: frames are stamped with the time since. */
    readonly startedAt: number,
  ) {}

  /**
   * Creates (or empties) the recording at `path` and writes its header.
   * @throws {UsageError} naming the label when the file cannot be opened.
   */
  static open(path: string, options: RecorderOptions): Recorder {
    const { label } = options;
    const file = AppendFile.open(path, {
      label,
      truncateTo: 0,
      lostLines: 'frames not recorded',
      onProblem: (reason) => options.onProblem({ kind: 'warning', file: label, reason, count: 0 }),
    });
    // The wall clock, as RxJS's asyncScheduler reads it: a replay's clock then tells the
    // operators the very times the recorded run's did.
    const startedAt = Date.now();
    file.append(
      encodeHeader({
        startedAt,
        source: options.source,
        follow: options.follow,
        ...(options.timers === undefined ? {} : { timers: options.timers }),
      }),
    );
    return new Recorder(file, startedAt);
  }

  /** Records a batch as it leaves the source; resolves with its time (ms since the start). */
  batch = (next: SourceBatch): number => {
    const { index, file, invalid, batch } = next;
    return this.write({ type: 'batch', at: this.now(), index, file, invalid, batch });
  };

  /** Records a problem as the source reports it. */
  problem = (problem: SourceProblem): void => {
    this.write({ type: 'problem', at: this.now(), problem });
  };

  /** Records that a timer of `task` fires now; returns the time recorded. */
  tick(task: string): number {
    return this.write({ type: 'tick', at: this.now(), task });
  }

  /** Records the end (the source completed, or was stopped), once; returns its time. */
  end(): number {
    if (this.ended) return this.last;
    this.ended = true;
    return this.write({ type: 'end', at: this.now() });
  }

  /** Resolves when the recording's buffer is below its bound: awaited before each read. */
  ready = (): Promise<void> => this.file.ready();

  /** Writes the end frame unless {@link end} did, and closes the file. */
  async close(): Promise<void> {
    this.end();
    await this.file.close();
  }

  private now(): number {
    this.last = Math.max(this.last, Date.now() - this.startedAt);
    return this.last;
  }

  private write(frame: RecordingFrame): number {
    this.file.append(encodeFrame(frame));
    return frame.at;
  }
}
