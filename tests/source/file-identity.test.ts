import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FINGERPRINT_BYTES,
  fingerprintOf,
  fingerprintOfContent,
} from '../../src/source/file-identity.js';
import type { FileType } from '../../src/source/file-kind.js';
import { OpenFile } from '../../src/source/open-file.js';

const dir = mkdtempSync(join(tmpdir(), 'logstream-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fingerprint the source takes of a file on disk holding `content`. */
function onDisk(content: Uint8Array, type: FileType) {
  const path = join(dir, 'file');
  writeFileSync(path, content);
  const handle = OpenFile.open(path);
  try {
    return fingerprintOf(handle, content.length, type);
  } finally {
    handle.close();
  }
}

const TYPES: FileType[] = [
  { kind: 'json', compressed: false },
  { kind: 'json', compressed: true },
  { kind: 'ndjson', compressed: false },
];

describe('fingerprintOfContent', () => {
  it('equals the fingerprint read from the file, whatever its tail of brackets and spaces', () => {
    const tail = fc.array(fc.constantFrom(' ', '\n', '\t', '\r', ']', 'x', '}'), {
      maxLength: 700,
    });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 1500 }),
        tail,
        fc.constantFrom(...TYPES),
        (body, ending, type) => {
          const content = Buffer.from(`${body}${ending.join('')}`);
          expect(fingerprintOfContent(content, type)).toEqual(onDisk(content, type));
        },
      ),
      { seed: 23, numRuns: 300 },
    );
  });

  it('stops a .json file before its closing bracket, and at most 1 KiB in', () => {
    const short = Buffer.from('[{"a":1}]\n  ');
    expect(fingerprintOfContent(short, TYPES[0]!).bytes).toBe(8);
    const long = Buffer.from(`[${'1,'.repeat(2000)}1]`);
    expect(fingerprintOfContent(long, TYPES[0]!).bytes).toBe(FINGERPRINT_BYTES);
    expect(fingerprintOfContent(Buffer.from(' ]\n'), TYPES[0]!).bytes).toBe(0);
  });
});
