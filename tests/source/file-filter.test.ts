import { describe, expect, it } from 'vitest';
import { FileFilter } from '../../src/source/file-filter.js';
import { fileType } from '../../src/source/file-kind.js';

describe('fileType', () => {
  it('knows the log extensions, plain or .gz, in any case', () => {
    expect(fileType('a.json')).toEqual({ kind: 'json', compressed: false });
    expect(fileType('a/b.NDJSON')).toEqual({ kind: 'ndjson', compressed: false });
    expect(fileType('a.jsonl.gz')).toEqual({ kind: 'ndjson', compressed: true });
    expect(fileType('A.JSON.GZ')).toEqual({ kind: 'json', compressed: true });
    for (const name of ['a.gz', '.gz', 'a.log.gz', 'a.json.gz.tmp', 'a.tar.gz', 'json.gz']) {
      expect(fileType(name), name).toBeUndefined();
    }
  });
});

describe('FileFilter', () => {
  it('by default reads the log extensions at any depth, and enters no subdirectory', () => {
    const filter = new FileFilter();
    expect(filter.typeOf('2026/12/app.ndjson.gz')).toEqual({ kind: 'ndjson', compressed: true });
    expect(filter.accepts('app.json')).toBe(true);
    expect(filter.accepts('app.log')).toBe(false);
    expect(filter.accepts('notes.txt')).toBe(false);
    expect(filter.enters('2026')).toBe(false);
    expect(new FileFilter({ recursive: true }).enters('2026')).toBe(true);
  });

  it('with --include, reads what matches: .json as JSON, anything else as NDJSON, .gz decompressed', () => {
    const filter = new FileFilter({ include: ['*.log', '*.log.gz', 'events*'] });
    expect(filter.typeOf('app.log')).toEqual({ kind: 'ndjson', compressed: false });
    expect(filter.typeOf('deep/down/app.log')).toEqual({ kind: 'ndjson', compressed: false });
    expect(filter.typeOf('app.log.gz')).toEqual({ kind: 'ndjson', compressed: true });
    expect(filter.typeOf('events.json')).toEqual({ kind: 'json', compressed: false });
    expect(filter.typeOf('events.json.gz')).toEqual({ kind: 'json', compressed: true });
    // Included patterns replace the default: a .json file not matching is not read.
    expect(filter.accepts('app.json')).toBe(false);
    expect(filter.accepts('app.log.1')).toBe(false);
  });

  it('matches a pattern without / against the base name, one with / against the whole path', () => {
    const filter = new FileFilter({ include: ['2026/**/*.ndjson', 'top.json'] });
    expect(filter.accepts('2026/12/app.ndjson')).toBe(true);
    expect(filter.accepts('2026/app.ndjson')).toBe(true);
    expect(filter.accepts('2025/12/app.ndjson')).toBe(false);
    expect(filter.accepts('app.ndjson')).toBe(false);
    expect(filter.accepts('top.json')).toBe(true);
    expect(filter.accepts('a/b/top.json')).toBe(true);
  });

  it('lets --exclude win over --include and the default, and not enter excluded subdirectories', () => {
    const filter = new FileFilter({ recursive: true, exclude: ['debug*', 'archive', 'old/**'] });
    expect(filter.accepts('app.json')).toBe(true);
    expect(filter.accepts('debug.json')).toBe(false);
    expect(filter.accepts('x/debug-2.ndjson.gz')).toBe(false);
    expect(filter.accepts('old/a.json')).toBe(false);
    expect(filter.enters('archive')).toBe(false);
    expect(filter.enters('2026/archive')).toBe(false);
    expect(filter.enters('archives')).toBe(true);
    const both = new FileFilter({ include: ['*.log'], exclude: ['debug*'] });
    expect(both.accepts('app.log')).toBe(true);
    expect(both.accepts('debug.log')).toBe(false);
  });

  it('matches dot files only by patterns that name the dot, and is case-sensitive, as a shell', () => {
    const filter = new FileFilter({ include: ['*.log'] });
    expect(filter.accepts('.hidden.log')).toBe(false);
    expect(filter.accepts('APP.LOG')).toBe(false);
    expect(new FileFilter({ include: ['.*.log'] }).accepts('.hidden.log')).toBe(true);
  });

  it('says what it looked for when nothing is read', () => {
    expect(new FileFilter().nothingToRead(0, false)).toBe(
      'no log files here (looked for *.json, *.ndjson, *.jsonl and their .gz)',
    );
    expect(new FileFilter().nothingToRead(3, true)).toBe(
      'no log files here (looked for *.json, *.ndjson, *.jsonl and their .gz; 3 other files ignored; subdirectories not entered: use --recursive)',
    );
    expect(
      new FileFilter({ recursive: true, include: ['*.log'], exclude: ['debug*'] }).nothingToRead(
        1,
        true,
      ),
    ).toBe(
      'no log files here or in its subdirectories (looked for files matching *.log, not matching debug*; 1 other file ignored)',
    );
  });
});
