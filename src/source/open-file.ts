import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  read,
  readFile,
  readSync,
  type Stats,
} from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);
const readWhole = promisify(readFile);

/** Never through a link, never blocking on a FIFO or device put in the file's place. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** What the readers need of an open file: reads at a position. `FileHandle` has it too. */
export interface PositionalFile {
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
}

/**
 * A file open for reading by its descriptor. The directory source opens every file it looks
 * at, many per second; a `FileHandle` costs tens of microseconds of the main thread to create
 * and as much to close (measured: a fifth of the time of a run over 5,000 files), a bare
 * descriptor a few. Reads of content stay asynchronous; the few small reads of the file's
 * identity are done in place ({@link fd}).
 */
export class OpenFile implements PositionalFile {
  private constructor(readonly fd: number) {}

  /**
   * Opens `path` for reading, as every reader of log files does (the directory source and
   * the reader threads alike): `ELOOP` for a symbolic link, and a FIFO or device opened
   * without blocking, for the caller to refuse on its {@link stat}.
   */
  static open(path: string): OpenFile {
    return new OpenFile(openSync(path, READ_FLAGS));
  }

  stat(): Stats {
    return fstatSync(this.fd);
  }

  async read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }> {
    const { bytesRead } = await readAt(this.fd, buffer, offset, length, position);
    return { bytesRead };
  }

  /** The whole file (from its start: every other read here is positional). */
  readFile(): Promise<Buffer> {
    return readWhole(this.fd);
  }

  /**
   * Up to `size` bytes from the file's start into `buffer` (grown when too small), in place:
   * the view of what was read, shorter when the file is. For a thread that reads one file after
   * another: each fresh buffer of a whole-file read is memory the kernel must fault in and the
   * collector free, which cost more than the read itself (measured: a fifth of a reader thread's
   * time over files of 80 KB).
   */
  readWholeInto(buffer: ReusedBuffer, size: number): Buffer {
    const bytes = buffer.ofSize(size);
    let read = 0;
    while (read < size) {
      const bytesRead = readSync(this.fd, bytes, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * One buffer lent to one read at a time: what it holds is valid until the next
 * {@link ofSize}, so a reader must be done with a file's bytes (and every view of them)
 * before it reads the next file.
 */
export class ReusedBuffer {
  private buffer = Buffer.allocUnsafe(0);

  /** A buffer of exactly `size` bytes: a view of the kept one, reallocated when it is too small. */
  ofSize(size: number): Buffer {
    if (this.buffer.length < size) {
      this.buffer = Buffer.allocUnsafeSlow(Math.max(size, this.buffer.length * 2, 1 << 16));
    }
    return this.buffer.subarray(0, size);
  }
}
