/**
 * The jobs a pool worker does, and the messages that carry them: reading and scanning a
 * `.json` file for the directory source, and reducing one batch of Task 5. Both move their
 * columns between threads by transfer, not by copy.
 */
import {
  type EncodedBatch,
  type ReducedBatch,
  reducedBuffers,
  reduceEncodedBatch,
} from '../../operators/lazy-groups/kernel.js';
import { encodeRead, type TransferredRead } from '../source/batch-transfer.js';
import type { EventFields } from '../source/event-fields.js';
import { fingerprintOfContent } from '../source/file-identity.js';
import { isCompressed } from '../source/file-kind.js';
import { COMPRESSED_LIMIT, gunzipWholeSync, TOO_LARGE_DECOMPRESSED } from '../source/gzip.js';
import { readJsonDocument, WHOLE_FILE_LIMIT } from '../source/json.js';
import { OpenFile, ReusedBuffer } from '../source/open-file.js';
import type { FileIdentity } from '../source/types.js';

export type Job =
  /**
   * Read the `.json` file at `path` (a `.json.gz` decompressed) and scan its events from
   * array element `first` on.
   */
  | {
      readonly kind: 'scan';
      readonly path: string;
      readonly first: number;
      readonly fields: EventFields | undefined;
    }
  /** Reduce one batch of Task 5 with its kernel. */
  | { readonly kind: 'reduce'; readonly batch: EncodedBatch };

/** A file as a worker scanned it: its size and time when read, and its events. */
export interface ScanResult {
  readonly size: number;
  readonly mtimeMs: number;
  /** The identity of what was read, for the source to take in place of reading it again. */
  readonly identity?: FileIdentity;
  /** Absent for a file too large to parse whole: the caller splits it element by element. */
  readonly read: TransferredRead | undefined;
}

export type JobResult<J extends Job> = J extends { kind: 'scan' } ? ScanResult : ReducedBatch;

export interface JobRequest {
  readonly id: number;
  readonly job: Job;
}

export type JobAnswer =
  | { readonly id: number; readonly threadId: number; readonly result: ScanResult | ReducedBatch }
  | { readonly id: number; readonly error: { readonly code?: string; readonly message: string } };

/**
 * The bytes of the file a scan job reads: the scan leaves nothing in them that outlives the
 * job (its strings are decoded, its columns are fresh arrays), so one buffer serves them all.
 */
const fileBytes = new ReusedBuffer();

/** Does `job`; the second value lists the buffers to transfer with the result. */
export function runJob(job: Job): [ScanResult | ReducedBatch, ArrayBuffer[]] {
  if (job.kind === 'reduce') {
    const reduced = reduceEncodedBatch(job.batch);
    return [reduced, reducedBuffers(reduced)];
  }
  // Opened as the directory source opens it; a link or anything but a regular file is an
  // error here: the directory source reads those itself (or skips them).
  const handle = OpenFile.open(job.path);
  try {
    const stats = handle.stat();
    if (!stats.isFile()) throw new Error(`${job.path}: not a regular file`);
    const compressed = isCompressed(job.path);
    if (compressed && stats.size > COMPRESSED_LIMIT) {
      const read = { ok: false as const, reason: TOO_LARGE_DECOMPRESSED };
      return [{ size: stats.size, mtimeMs: stats.mtimeMs, read }, []];
    }
    if (!compressed && stats.size > WHOLE_FILE_LIMIT) {
      return [{ size: stats.size, mtimeMs: stats.mtimeMs, read: undefined }, []];
    }
    const bytes = handle.readWholeInto(fileBytes, stats.size);
    let content: Buffer = bytes;
    if (compressed) {
      const gunzipped = gunzipWholeSync(bytes);
      if (!gunzipped.ok) {
        const read = { ok: false as const, reason: gunzipped.reason };
        return [{ size: bytes.length, mtimeMs: stats.mtimeMs, read }, []];
      }
      content = gunzipped.bytes;
    }
    const document = readJsonDocument(content, job.first, Date.now, job.fields);
    const [read, transfer] = encodeRead(document);
    const identity: FileIdentity = {
      dev: stats.dev,
      ino: stats.ino,
      fingerprint: fingerprintOfContent(bytes, { kind: 'json', compressed }),
    };
    // The size of what was read: a file written between the stat and the read then differs
    // from the size its identity was decided on, and is looked at again.
    return [{ size: bytes.length, mtimeMs: stats.mtimeMs, identity, read }, transfer];
  } finally {
    handle.close();
  }
}
