import { type Fingerprint, isFingerprint } from './file-identity.js';
import type { FileKind, FileType } from './file-kind.js';
import type { NdjsonTail } from './ndjson.js';

/**
 * How far one file has been read, and which file it is: its device and inode, and a
 * {@link Fingerprint} of its first bytes, so a renamed file is followed, and a file rewritten in
 * place or a new file on a reused inode is read from the start.
 *
 * A compressed file is read whole, once: its `signature` is set when it has been read to its
 * end (or reported), and it is not read again while it stays the same file. Its `offset` and
 * `lines` (NDJSON) count decompressed bytes and lines, so a compressed file stopped in the
 * middle (at a checkpoint, or cut short while it was written) goes on at its next line.
 */
export interface FileCursor {
  /** The name it was last read under (relative to the source, `/`-separated). */
  name: string;
  readonly kind: FileKind;
  /** gzip-compressed (`.gz`). */
  readonly compressed: boolean;
  dev: number;
  ino: number;
  fingerprint: Fingerprint;
  /** `.json`: array elements already read (a growing array is read from here on). */
  consumed: number;
  /**
   * `.json` and compressed files: size and mtime when last read (a compressed file: read to
   * its end) or reported, to skip an unchanged file.
   */
  signature: string | null;
  /** NDJSON: the byte offset after the last complete line read (compressed: decompressed bytes). */
  offset: number;
  /** NDJSON: lines read so far (for line numbers in reports). */
  lines: number;
  /** NDJSON: bytes read past `offset` (a line still without its newline); never saved. */
  tail?: NdjsonTail | undefined;
}

/**
 * The source's read positions, one {@link FileCursor} per file, found by inode (a rename keeps
 * it) and by name (a `.json` file replaced atomically by a longer version of itself keeps it).
 * This is what a checkpoint saves of the source: {@link encode} and {@link decode}.
 */
export class FileCursors {
  private readonly byInode = new Map<string, FileCursor>();
  private readonly byName = new Map<string, FileCursor>();

  /** The cursor of the file on `dev` with inode `ino`, if it was read. */
  at(dev: number, ino: number): FileCursor | undefined {
    return this.byInode.get(inodeKey(dev, ino));
  }

  /** The cursor of the file last read under `name`, if any. */
  named(name: string): FileCursor | undefined {
    return this.byName.get(name);
  }

  /**
   * A cursor at the start of the file, not kept yet: the reader of a `.json` file keeps it
   * ({@link keep}) once the file parses, so a file caught while it is rewritten in place does
   * not cost the place of the version before it.
   */
  static fresh(
    name: string,
    { kind, compressed }: FileType,
    dev: number,
    ino: number,
    fingerprint: Fingerprint,
  ): FileCursor {
    return {
      name,
      kind,
      compressed,
      dev,
      ino,
      fingerprint,
      consumed: 0,
      signature: null,
      offset: 0,
      lines: 0,
    };
  }

  /** Keeps `cursor` under its name and inode, replacing any other cursor under either. */
  keep(cursor: FileCursor): void {
    const key = inodeKey(cursor.dev, cursor.ino);
    const before = this.byInode.get(key);
    if (before !== undefined && before !== cursor && this.byName.get(before.name) === before) {
      this.byName.delete(before.name);
    }
    this.byInode.set(key, cursor);
    // Another file under this name keeps its inode entry: it may have been renamed.
    this.byName.set(cursor.name, cursor);
  }

  /** Whether `cursor` is the one kept for its inode. */
  has(cursor: FileCursor): boolean {
    return this.byInode.get(inodeKey(cursor.dev, cursor.ino)) === cursor;
  }

  /** Files `cursor` under its (new) name and inode. */
  move(cursor: FileCursor, name: string, dev: number, ino: number): void {
    if (this.byInode.get(inodeKey(cursor.dev, cursor.ino)) === cursor) {
      this.byInode.delete(inodeKey(cursor.dev, cursor.ino));
    }
    if (this.byName.get(cursor.name) === cursor) this.byName.delete(cursor.name);
    cursor.name = name;
    cursor.dev = dev;
    cursor.ino = ino;
    this.keep(cursor);
  }

  /** Every cursor. */
  values(): IterableIterator<FileCursor> {
    return this.byInode.values();
  }

  /** The cursors as JSON, for a checkpoint. */
  encode(): EncodedCursor[] {
    const encoded: EncodedCursor[] = [];
    for (const cursor of this.byInode.values()) {
      const { name, kind, compressed, dev, ino, fingerprint, consumed, signature } = cursor;
      // Plain files are written as before compressed ones existed: older checkpoints read alike.
      const gz = compressed ? { compressed: true as const } : {};
      encoded.push(
        kind === 'json'
          ? { name, kind, ...gz, dev, ino, fingerprint, consumed, signature }
          : {
              name,
              kind,
              ...gz,
              dev,
              ino,
              fingerprint,
              offset: cursor.offset,
              lines: cursor.lines,
              ...(compressed && { signature }),
            },
      );
    }
    return encoded;
  }

  /**
   * The cursors {@link encode} wrote.
   * @throws {Error} with a one-line reason when `encoded` is not such a list.
   */
  static decode(encoded: unknown): FileCursors {
    if (!Array.isArray(encoded)) throw new Error('files: not a list');
    const cursors = new FileCursors();
    for (const [at, value] of encoded.entries()) {
      const cursor = decodeCursor(value);
      if (cursor === undefined) throw new Error(`files[${at}]: not a file position`);
      cursors.keep(cursor);
    }
    return cursors;
  }
}

/** A {@link FileCursor} as a checkpoint holds it. */
export type EncodedCursor =
  | {
      readonly name: string;
      readonly kind: 'json';
      readonly compressed?: true;
      readonly dev: number;
      readonly ino: number;
      readonly fingerprint: Fingerprint;
      readonly consumed: number;
      readonly signature: string | null;
    }
  | {
      readonly name: string;
      readonly kind: 'ndjson';
      readonly compressed?: true;
      readonly dev: number;
      readonly ino: number;
      readonly fingerprint: Fingerprint;
      readonly offset: number;
      readonly lines: number;
      /** Compressed files only: see {@link FileCursor.signature}. */
      readonly signature?: string | null;
    };

function decodeCursor(value: unknown): FileCursor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || !isCount(v.dev) || !isCount(v.ino)) return undefined;
  if (!isFingerprint(v.fingerprint)) return undefined;
  if (v.compressed !== undefined && v.compressed !== true) return undefined;
  const compressed = v.compressed === true;
  const signature = v.signature ?? null;
  if (signature !== null && typeof signature !== 'string') return undefined;
  if (v.kind !== 'json' && v.kind !== 'ndjson') return undefined;
  const cursor = FileCursors.fresh(
    v.name,
    { kind: v.kind, compressed },
    v.dev,
    v.ino,
    v.fingerprint,
  );
  if (v.kind === 'json') {
    if (!isCount(v.consumed) || v.signature === undefined) return undefined;
    return { ...cursor, consumed: v.consumed, signature };
  }
  if (!isCount(v.offset) || !isCount(v.lines)) return undefined;
  return { ...cursor, offset: v.offset, lines: v.lines, signature: compressed ? signature : null };
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function inodeKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}
