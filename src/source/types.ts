import type { Observable } from 'rxjs';
import type { EventBatch } from '../../operators/batch.js';
import type { SourceProblem } from '../../operators/source-problem.js';
import type { EventFields } from './event-fields.js';
import type { FileCursors } from './file-cursors.js';
import type { Fingerprint } from './file-identity.js';
import type { JsonRead } from './json.js';

export type { SourceProblem };

/** One batch of valid events read from the source. */
export interface SourceBatch {
  /** 1, 2, … in the order batches leave the source. */
  readonly index: number;
  /** The file's path under the source, `/`-separated (`2026/12/app.ndjson`), `-` for standard input. */
  readonly file: string;
  readonly batch: EventBatch;
  /** Events in the batch that failed validation (reported separately). */
  readonly invalid: number;
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
   * Threads that read and scan `.json` files in parallel with the operators (absent: read
   * on the calling thread): the topology's worker pool, shared with whoever else uses it
   * (Task 5's reducer), so the source uses it and never terminates it: its owner does.
   */
  readonly pool?: FileScanner;
  /**
   * Ends a following source as `--once` ends: it stops reading, reads the lines still without
   * their newline (unless {@link keepUnterminated}), and completes.
   */
  readonly stop?: Observable<void>;
  /**
   * Leave a line without its newline unread at a stop, for a resumed run to read once it is
   * complete (a checkpoint keeps its offset), instead of reading it as it is.
   */
  readonly keepUnterminated?: boolean;
  /** Where each file was read up to: a checkpoint's, to resume (default: nothing read yet). */
  readonly cursors?: FileCursors;
  /** Batches before the first one this source emits (a resumed run continues the numbers). */
  readonly firstIndex?: number;
  /** Where the event's fields are, and the timestamp unit (default: the event model's). */
  readonly fields?: EventFields;
  /** Read the subdirectories too (`--recursive`). */
  readonly recursive?: boolean;
  /** Globs a file's path under the source must match to be read (`--include`; default: the log extensions). */
  readonly include?: readonly string[];
  /** Globs of paths under the source never read (`--exclude`). */
  readonly exclude?: readonly string[];
}

/** What the source needs of reader threads: a `.json` file read and scanned elsewhere. */
export interface FileScanner {
  /** Reads and scans the `.json` (or `.json.gz`, decompressed) file at `path` from array element `first` on. */
  scan(path: string, first: number, fields?: EventFields): Promise<ScannedFile>;
}

/** Which file some bytes were read from: its inode, and the fingerprint of those bytes. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly fingerprint: Fingerprint;
}

/** A `.json` file read and scanned by a reader thread: its size and time when read, and its events. */
export interface ScannedFile {
  readonly size: number;
  readonly mtimeMs: number;
  /** Of the bytes read (absent when none were). */
  readonly identity?: FileIdentity;
  /** Absent for a file too large to parse whole. */
  readonly read: JsonRead | undefined;
}
