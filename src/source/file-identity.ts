import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { FileType } from './file-kind.js';

/** Bytes at the start of a file that tell it from another file under the same inode or name. */
export const FINGERPRINT_BYTES = 1024;

/**
 * A file's first bytes, hashed: the part of a file's identity that survives a rename and an
 * append but not a rewrite (copytruncate, a new file on a reused inode, a replacement with other
 * content). Files shorter than {@link FINGERPRINT_BYTES} are fingerprinted on what they hold,
 * and the fingerprint grows with them.
 */
export interface Fingerprint {
  /** How many first bytes were hashed. */
  readonly bytes: number;
  /** SHA-256 of those bytes, hex, shortened: enough to tell files apart, never a secret. */
  readonly hash: string;
}

/**
 * The fingerprint of the open file's first bytes (at most {@link FINGERPRINT_BYTES} of `size`).
 * A `.json` file grows by being written again with more elements, so its closing `]` (and the
 * whitespace around it) moves: its fingerprint stops before them, and a longer version of the
 * same array starts as the shorter one did. A compressed file's fingerprint is of its
 * compressed bytes, taken as they are.
 */
export function fingerprintOf(
  handle: { readonly fd: number },
  size: number,
  type: FileType,
): Fingerprint {
  const end =
    type.kind === 'json' && !type.compressed ? endBeforeClosingBracket(handle, size) : size;
  const bytes = Math.min(end, FINGERPRINT_BYTES);
  return { bytes, hash: hashOfStart(handle, bytes) };
}

/** Whether the open file still starts with the bytes `fingerprint` was taken of. */
export function startsAsBefore(
  handle: { readonly fd: number },
  size: number,
  fingerprint: Fingerprint,
): boolean {
  if (size < fingerprint.bytes) return false;
  return hashOfStart(handle, fingerprint.bytes) === fingerprint.hash;
}

// The reads here are of at most a few KiB from a regular file already open: done in place
// (readSync on the handle's descriptor), they cost microseconds, where each awaited read is a
// round trip through libuv's thread pool that every file of a directory would wait on.

function hashOfStart(handle: { readonly fd: number }, bytes: number): string {
  const start = Buffer.alloc(bytes);
  let read = 0;
  while (read < bytes) {
    const bytesRead = readSync(handle.fd, start, read, bytes - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return hashOf(start.subarray(0, read));
}

function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/**
 * {@link fingerprintOf} of a file whose whole content is `content`, read by the caller (a
 * reader thread that read the file anyway): the same fingerprint, without reading it again.
 */
export function fingerprintOfContent(content: Uint8Array, type: FileType): Fingerprint {
  const size = content.length;
  let end = size;
  if (type.kind === 'json' && !type.compressed) {
    const found = contentEnd(content, 0, size, false);
    end = found.end ?? 0;
  }
  const bytes = Math.min(end, FINGERPRINT_BYTES);
  return { bytes, hash: hashOf(content.subarray(0, bytes)) };
}

/** Bytes read at a time from the end of a `.json` file, looking for where its content ends. */
const TAIL_CHUNK = 256;

/**
 * Where the file's content ends, once trailing JSON whitespace, one `]`, and the whitespace
 * before it are left out: `[a, b]\n` ends after `b`, as `[a, b, c]` goes on. Reads back from
 * the end, a chunk at a time: one read for any file that does not end in a run of whitespace.
 */
function endBeforeClosingBracket(handle: { readonly fd: number }, size: number): number {
  const chunk = Buffer.alloc(TAIL_CHUNK);
  let bracketSeen = false;
  let end = size;
  while (end > 0) {
    const from = Math.max(0, end - TAIL_CHUNK);
    const bytesRead = readSync(handle.fd, chunk, 0, end - from, from);
    // Shorter than its size said (truncated meanwhile): fingerprint what the size says.
    if (bytesRead < end - from) return size;
    const found = contentEnd(chunk, from, end - from, bracketSeen);
    if (found.end !== undefined) return found.end;
    bracketSeen = found.bracketSeen;
    end = from;
  }
  return 0;
}

/**
 * The rule of {@link endBeforeClosingBracket} over `length` bytes of `chunk` that sit at file
 * offset `from`, read backwards: where the content ends, if it ends in them, and whether the
 * one `]` was passed over.
 */
function contentEnd(
  chunk: Uint8Array,
  from: number,
  length: number,
  bracketSeen: boolean,
): { end?: number; bracketSeen: boolean } {
  for (let at = length - 1; at >= 0; at--) {
    const byte = chunk[at]!;
    if (JSON_WHITESPACE.has(byte)) continue;
    if (byte === CLOSING_BRACKET && !bracketSeen) {
      bracketSeen = true;
      continue;
    }
    return { end: from + at + 1, bracketSeen };
  }
  return { bracketSeen };
}

const CLOSING_BRACKET = 0x5d;
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Whether `value` has the shape of a {@link Fingerprint} (for decoding a checkpoint). */
export function isFingerprint(value: unknown): value is Fingerprint {
  const { bytes, hash } = (value ?? {}) as Partial<Fingerprint>;
  return (
    Number.isSafeInteger(bytes) &&
    (bytes as number) >= 0 &&
    (bytes as number) <= FINGERPRINT_BYTES &&
    typeof hash === 'string' &&
    /^[0-9a-f]{32}$/.test(hash)
  );
}
