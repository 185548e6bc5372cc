import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gunzip, gunzipSync } from 'node:zlib';
import type { EventFields } from './event-fields.js';
import { WHOLE_FILE_LIMIT } from './json.js';
import { LineBuffer } from './line-buffer.js';
import { type LinesRead, MAX_BATCH_LINES, type NdjsonChunk } from './ndjson.js';
import type { PositionalFile } from './open-file.js';

/**
 * A gzip-compressed file that could not be decompressed: truncated (still being written, or
 * cut short) or not gzip at all. {@link message} is the reason, as a diagnostic says it.
 */
export class GzipError extends Error {
  override readonly name = 'GzipError';
}

/** Compressed bytes read at a time. */
const READ_SIZE = 1 << 18;

/**
 * The decompressed content of the open file's first `size` bytes, a chunk at a time, never
 * the whole of it: decompression waits while the consumer does (the stream's backpressure),
 * and stops when the consumer does. Several gzip members one after the other (`cat a.gz b.gz`)
 * are one content, as gunzip reads them.
 * @throws {GzipError} once the content decompressed so far has been yielded, when the bytes
 * end before the compressed stream does or are not gzip.
 */
export async function* gunzipped(handle: PositionalFile, size: number): AsyncGenerator<Buffer> {
  if (size === 0) throw new GzipError('empty file');
  const input = Readable.from(compressedChunks(handle, size), { objectMode: false });
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    throw zlibFailure(error);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/** The file's bytes up to `size`, each read into a buffer of its own (the stream keeps it). */
async function* compressedChunks(handle: PositionalFile, size: number): AsyncGenerator<Buffer> {
  for (let position = 0; position < size; ) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_SIZE, size - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield chunk.subarray(0, bytesRead);
  }
}

/**
 * The lines of a compressed NDJSON file (`.ndjson.gz`, `.jsonl.gz`), decompressed as they are
 * read, in batches of at most {@link MAX_BATCH_LINES} events. A compressed stream has no
 * positions to read from, so it is read from its start again each time, the bytes before
 * `from.offset` (decompressed bytes already read as lines) skipped: a file read in part (cut
 * short while being written, or stopped at a checkpoint) goes on at its next line. Line
 * numbers are those of the decompressed lines. The end of the compressed stream ends the last
 * line, newline or not.
 * @throws {GzipError} when the file ends before its compressed stream does or is not gzip:
 * after the complete lines before that point are yielded (a partial last line is not).
 */
export async function* compressedLines(
  handle: PositionalFile,
  size: number,
  from: LinesRead,
  fields?: EventFields,
): AsyncGenerator<NdjsonChunk & LinesRead> {
  const buffer = new LineBuffer(MAX_BATCH_LINES, from.lines, fields);
  let offset = from.offset;
  let skip = from.offset;
  const scanned = function* (all: boolean): Generator<NdjsonChunk & LinesRead> {
    for (const scan of buffer.scan(all)) {
      offset += scan.consumed;
      yield { ...scan, offset, lines: buffer.linesRead };
    }
  };
  try {
    for await (const chunk of gunzipped(handle, size)) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      buffer.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
      yield* scanned(false);
    }
  } catch (error) {
    // What was complete before the stream broke is read, as zcat prints it.
    yield* scanned(true);
    throw error;
  }
  if (skip > 0) throw new GzipError('shorter than when it was read before');
  buffer.endInput();
  yield* scanned(true);
}

/** A compressed `.json` file decompressed whole, or why it could not be. */
export type WholeGunzip =
  | { readonly ok: true; readonly bytes: Buffer }
  /** `reason` {@link TOO_LARGE_DECOMPRESSED} is final, however long it is waited for. */
  | { readonly ok: false; readonly reason: string };

const gunzipAsync = promisify(gunzip);

/**
 * The content of a compressed `.json` file (`.json.gz`), decompressed whole on zlib's
 * threads: a `.json` document is parsed whole anyway, up to {@link WHOLE_FILE_LIMIT} bytes,
 * and so is this one; beyond that it is too large.
 */
export async function gunzipWhole(bytes: Buffer): Promise<WholeGunzip> {
  if (bytes.length === 0) return notDecompressed(new GzipError('empty file'));
  return gunzipAsync(bytes, WHOLE_OPTIONS).then(decompressed, notDecompressed);
}

/** {@link gunzipWhole} in place, for a reader thread, whose whole job it is. */
export function gunzipWholeSync(bytes: Buffer): WholeGunzip {
  if (bytes.length === 0) return notDecompressed(new GzipError('empty file'));
  try {
    return decompressed(gunzipSync(bytes, WHOLE_OPTIONS));
  } catch (error) {
    return notDecompressed(error);
  }
}

const WHOLE_OPTIONS = { maxOutputLength: WHOLE_FILE_LIMIT };

function decompressed(bytes: Buffer): WholeGunzip {
  return { ok: true, bytes };
}

/**
 * Above this size a compressed `.json` file is too large without decompressing it: gzip
 * stores what does not compress with a few bytes per 16 KiB block more, so its content is
 * then over {@link WHOLE_FILE_LIMIT} whatever it holds.
 */
export const COMPRESSED_LIMIT = WHOLE_FILE_LIMIT + (WHOLE_FILE_LIMIT >> 8);

/** The reason a compressed `.json` file over {@link WHOLE_FILE_LIMIT} decompressed is not read. */
export const TOO_LARGE_DECOMPRESSED = `too large: over ${WHOLE_FILE_LIMIT / (1 << 20)} MiB decompressed (a compressed .json file is parsed whole; compress it as NDJSON)`;

function notDecompressed(error: unknown): WholeGunzip {
  if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return { ok: false, reason: TOO_LARGE_DECOMPRESSED };
  }
  return { ok: false, reason: zlibFailure(error).message };
}

/** zlib's error as a {@link GzipError} saying what it means for the file. */
function zlibFailure(error: unknown): Error {
  if (error instanceof GzipError) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'Z_BUF_ERROR') return new GzipError(`not a complete gzip file (${message})`);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new GzipError(`not valid gzip (${message})`);
  }
  // A read of the file that failed: not about the compression, the caller reports it as such.
  return error as Error;
}
