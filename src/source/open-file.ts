import { closeSync, constants, fstatSync, openSync, read, readFile, type Stats } from 'node:fs';
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

  close(): void {
    closeSync(this.fd);
  }
}
