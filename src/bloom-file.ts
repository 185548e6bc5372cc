/**
 * The file side of Task 4: building a Bloom filter from a pattern file (one message of
 * interest per line) and saving or loading a built filter (`logstream bloom build`).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BloomFilter } from '../operators/bloom-filter.js';
import { writeFileAtomically } from './atomic-write.js';

/** A pattern or filter file that cannot be used; the message starts with what and which file. */
export class BloomFileError extends Error {
  override readonly name = 'BloomFileError';

  constructor(
    message: string,
    /** The file concerned. */
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PatternFilterOptions {
  /** Exact number of bits; default: optimal for the capacity and the rate. */
  readonly bits?: number;
  /** Exact number of hashes; default: optimal for the bits and the capacity. */
  readonly hashes?: number;
  /** Target false-positive rate when sizing optimally. */
  readonly falsePositiveRate?: number;
  /**
   * Messages the filter is sized for (at least the pattern count). Default
   * {@link DEFAULT_BLOOM_CAPACITY}.
   */
  readonly capacity?: number;
}

export const DEFAULT_FALSE_POSITIVE_RATE = 0.01;

/**
 * What a filter is sized for unless told otherwise. Sized for its patterns alone, the four
 * bundled messages made a filter of 39 bits, and the demo forwarded "Connection pool
 * resized", a message not in the list: the false-positive rate is an average over all
 * messages, and a filter that small is certain to pass some everyday ones. Sized for
 * 100,000 messages at 1 %, the filter takes 117 KiB and a handful of patterns leave it a
 * false-positive rate near 10^-32.
 */
export const DEFAULT_BLOOM_CAPACITY = 100_000;

const READ_CHUNK_BYTES = 1 << 20;

/**
 * Reads the pattern file as a stream and calls `onPattern` with each pattern, in file order;
 * resolves with the number of patterns. A pattern is a whole line, kept verbatim except for
 * a trailing `\r` (CRLF files) and a byte-order mark at the start of the file; empty and
 * whitespace-only lines are skipped. Memory stays at one read chunk (1 MiB) plus one line,
 * whatever the file's length.
 * @throws BloomFileError naming the file when it cannot be read.
 */
export async function readPatterns(
  path: string,
  onPattern: (pattern: string) => void,
): Promise<number> {
  let patterns = 0;
  // The current line's text from earlier chunks: joined once, so a very long line is not
  // copied again for every chunk it spans.
  const lineStart: string[] = [];
  let atFileStart = true;
  const take = (line: string) => {
    const pattern = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (pattern.trim().length === 0) return;
    patterns++;
    onPattern(pattern);
  };
  // The decoder inside the stream keeps a multi-byte character cut by a chunk boundary whole.
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (let chunk of stream as AsyncIterable<string>) {
      if (atFileStart) {
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        atFileStart = false;
      }
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        const line = chunk.slice(start, end);
        if (lineStart.length === 0) {
          take(line);
        } else {
          lineStart.push(line);
          take(lineStart.join(''));
          lineStart.length = 0;
        }
        start = end + 1;
      }
      if (start < chunk.length) lineStart.push(chunk.slice(start));
    }
  } catch (error) {
    if (isSystemError(error)) {
      throw new BloomFileError(`bloom patterns ${path}: ${describeReadError(error)}`, path, {
        cause: error,
      });
    }
    throw error;
  }
  take(lineStart.join(''));
  return patterns;
}

/** The number of patterns in the file, as {@link readPatterns} counts them. */
export function countPatterns(path: string): Promise<number> {
  return readPatterns(path, () => {});
}

/**
 * A filter holding every pattern of the file, sized for `capacity` messages or the pattern
 * count, whichever is larger. With both `bits` and `hashes` the file is read
 * once. Otherwise the optimal size depends on the number of patterns, known only at the end
 * of the file, and a Bloom filter cannot be resized once filled (its bits do not remember
 * the patterns that set them); so a first pass counts the lines and a second adds them.
 * Reading twice costs I/O, but memory stays at the filter's bits instead of the whole list,
 * which for tens of millions of messages is the difference between megabytes and gigabytes.
 * @throws BloomFileError naming the file when it cannot be read, or when it holds no
 * patterns and the size is to be derived from their count.
 * @throws RangeError when the sizes or the rate are out of range.
 */
export async function buildFilterFromPatterns(
  path: string,
  options: PatternFilterOptions = {},
): Promise<BloomFilter> {
  const {
    bits,
    hashes,
    falsePositiveRate = DEFAULT_FALSE_POSITIVE_RATE,
    capacity = DEFAULT_BLOOM_CAPACITY,
  } = options;
  let filter: BloomFilter;
  if (bits !== undefined && hashes !== undefined) {
    filter = BloomFilter.withSize(bits, hashes);
  } else {
    const patterns = await countPatterns(path);
    if (patterns === 0) {
      throw new BloomFileError(
        `bloom patterns ${path}: no patterns (the file is empty or has only blank lines)`,
        path,
      );
    }
    const items = Math.max(capacity, patterns);
    const size = bits ?? BloomFilter.optimalSize(items, falsePositiveRate).bits;
    filter = BloomFilter.withSize(size, hashes ?? BloomFilter.optimalHashes(size, items));
  }
  await readPatterns(path, (pattern) => filter.add(pattern));
  return filter;
}

/**
 * Writes the filter to `path` atomically: to a temporary file beside it, flushed to disk,
 * then renamed over `path`, so a reader sees the old file or the new one, never half of one.
 * @throws BloomFileError naming the file when it cannot be written.
 */
export async function saveFilter(filter: BloomFilter, path: string): Promise<void> {
  try {
    await writeFileAtomically(path, filter.toBytes());
  } catch (error) {
    const reason =
      isSystemError(error) && error.code === 'ENOENT'
        ? `no such directory ${dirname(path)}`
        : describeReadError(error);
    throw new BloomFileError(`bloom filter ${path}: ${reason}`, path, { cause: error });
  }
}

/**
 * The filter saved at `path` by {@link saveFilter}.
 * @throws BloomFileError naming the file when it cannot be read or is not a valid filter.
 */
export async function loadFilter(path: string): Promise<BloomFilter> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new BloomFileError(`bloom filter ${path}: ${describeReadError(error)}`, path, {
      cause: error,
    });
  }
  try {
    return BloomFilter.fromBytes(bytes);
  } catch (error) {
    throw new BloomFileError(`bloom filter ${path}: ${(error as Error).message}`, path, {
      cause: error,
    });
  }
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

function describeReadError(error: unknown): string {
  switch (isSystemError(error) ? error.code : undefined) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
