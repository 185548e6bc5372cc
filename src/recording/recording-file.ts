import { createReadStream } from 'node:fs';
import {
  cutAt,
  decodeFrame,
  decodeHeader,
  RecordingError,
  type RecordingFrame,
  type RecordingHeader,
} from '../../operators/testing/recording.js';
import { UsageError } from '../usage-error.js';

/** A recording file being read, one frame at a time (memory bounded by its largest frame). */
export interface RecordingFile {
  readonly path: string;
  readonly header: RecordingHeader;
  /** The frames after the header, read as they are asked for; once only. */
  readonly frames: AsyncIterable<RecordingFrame>;
  /**
   * Once {@link frames} is done: why the recording stops before its end frame (cut short
   * by a kill, a line that does not decode), undefined when it ends in order.
   */
  cut(): string | undefined;
}

/**
 * Opens the recording at `path` and reads its header.
 * @throws {UsageError} naming the file when it cannot be read or is no recording.
 */
export async function openRecordingFile(path: string): Promise<RecordingFile> {
  const lines = linesOf(path);
  let header: RecordingHeader;
  try {
    const first = await lines.next();
    if (first.done || !first.value.complete) {
      throw new RecordingError('not a logstream recording (no complete first line)');
    }
    header = decodeHeader(first.value.text);
  } catch (error) {
    await lines.return(undefined);
    throw new UsageError(`recording ${path}: ${describe(error)}`);
  }
  let cut: string | undefined;
  async function* frames(): AsyncGenerator<RecordingFrame> {
    let lastBatch: number | undefined;
    let line = 1;
    try {
      for await (const next of lines) {
        line++;
        if (!next.complete) {
          cut = cutAt(lastBatch, line, 'incomplete');
          return;
        }
        let frame: RecordingFrame;
        try {
          frame = decodeFrame(next.text);
        } catch (error) {
          cut = cutAt(lastBatch, line, describe(error));
          return;
        }
        if (frame.type === 'batch') lastBatch = frame.index;
        yield frame;
        if (frame.type === 'end') return;
      }
      cut = cutAt(lastBatch, line + 1, 'no end frame: the recording was not closed');
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`recording ${path}: ${describe(error)}`);
    }
  }
  return { path, header, frames: frames(), cut: () => cut };
}

interface Line {
  readonly text: string;
  /** False for the last piece of a file that does not end with a newline. */
  readonly complete: boolean;
}

async function* linesOf(path: string): AsyncGenerator<Line> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let partial: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, end);
        const bytes = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
        partial = [];
        start = end + 1;
        yield { text: bytes.toString('utf8'), complete: true };
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
    }
    if (partial.length > 0)
      yield { text: Buffer.concat(partial).toString('utf8'), complete: false };
  } finally {
    stream.destroy();
  }
}

function describe(error: unknown): string {
  if (error instanceof RecordingError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a recording';
  return code ?? (error as Error).message;
}
