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
}

/**
 * Writes a recording (see operators/testing/recording.ts) as the source delivers: each batch
 * and problem one line, stamped with the milliseconds since the recording was opened. The
 * lines go through an {@link AppendFile}: large writes, whole lines only (a kill leaves the
 * recording readable up to its last complete frame), and memory bounded as long as the
 * source awaits {@link ready} before each read.
 */
export class Recorder {
  private readonly startedAt = performance.now();

  private constructor(private readonly file: AppendFile) {}

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
    file.append(
      encodeHeader({
        startedAt: Date.now(),
        source: options.source,
        follow: options.follow,
      }),
    );
    return new Recorder(file);
  }

  /** Records a batch as it leaves the source, before any operator has seen it. */
  batch = (next: SourceBatch): void => {
    const { index, file, invalid, batch } = next;
    this.write({ type: 'batch', at: this.now(), index, file, invalid, batch });
  };

  /** Records a problem as the source reports it. */
  problem = (problem: SourceProblem): void => {
    this.write({ type: 'problem', at: this.now(), problem });
  };

  /** Resolves when the recording's buffer is below its bound: awaited before each read. */
  ready = (): Promise<void> => this.file.ready();

  /** Writes the end frame (the recording ended in order) and closes the file. */
  async close(): Promise<void> {
    this.write({ type: 'end', at: this.now() });
    await this.file.close();
  }

  private now(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  private write(frame: RecordingFrame): void {
    this.file.append(encodeFrame(frame));
  }
}
