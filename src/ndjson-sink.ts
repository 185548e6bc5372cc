import type { Writable } from 'node:stream';
import type { TaskRecord } from '../operators/records.js';
import type { TaskOutput } from './topology.js';

/** Bytes buffered before a write: few large writes instead of one per record. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Writes task outputs as NDJSON records (`task`, `batch`, `file`, then the record's fields)
 * to a stream. Respects backpressure: {@link ready} resolves once the stream has drained, and
 * the source awaits it before reading more. A closed pipe (EPIPE) ends the sink quietly and
 * calls `onClosed`.
 */
export class NdjsonSink {
  private buffer = '';
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly out: Writable,
    private readonly onClosed: () => void,
  ) {
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.close();
      else throw error;
    });
  }

  write({ batch, file, record }: TaskOutput): void {
    if (this.closed) return;
    this.buffer += `${recordLine(batch, file, record)}\n`;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves when the reader has caught up. */
  ready = async (): Promise<void> => {
    this.flush();
    if (this.closed || !this.out.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.on('drain', done).on('close', done);
    });
  };

  /**
   * Resolves once every record written so far has left this process (a checkpoint is taken
   * only then: a record held here when the process is killed would never be printed).
   */
  delivered = async (): Promise<void> => {
    this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => this.out.write('', () => resolve()));
  };

  /** Writes what is buffered and resolves once the stream has taken it. */
  async end(): Promise<void> {
    this.flush();
    await this.ready();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed || this.buffer.length === 0) return;
    const text = this.buffer;
    this.buffer = '';
    try {
      this.out.write(text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') this.close();
      else throw error;
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = '';
    this.onClosed();
  }
}

/**
 * The record as SPEC's line: `task`, `batch`, `file`, then the record's own fields. Records
 * put `task` first, so the batch and file are spliced in after it instead of copying every
 * record into a new object (a tenth of a run's main thread over 5M events, where Task 6
 * writes a record per window).
 */
export function recordLine(batch: number, file: string | null, record: TaskRecord): string {
  const json = JSON.stringify(record);
  const taskMember = `{"task":${JSON.stringify(record.task)}`;
  const where = `,"batch":${batch},"file":${JSON.stringify(file)}`;
  if (json.startsWith(taskMember)) return `${taskMember}${where}${json.slice(taskMember.length)}`;
  const { task, ...fields } = record;
  return JSON.stringify({ task, batch, file, ...fields });
}
