import { buildFilterFromPatterns, saveFilter } from '../bloom-file.js';
import { positiveInteger, probability } from '../cli/values.js';
import { escapeForTerminal } from '../terminal-text.js';
import { UsageError } from '../usage-error.js';

/** `logstream bloom build <patterns> -o <file>`: a filter file for `--bloom-filter`. */
export async function bloomBuildCommand(
  patterns: string,
  flags: Record<string, unknown>,
): Promise<number> {
  const parse = <T>(flag: string, value: unknown, parser: (v: unknown) => T): T | undefined => {
    if (value === undefined) return undefined;
    try {
      return parser(value);
    } catch (error) {
      throw new UsageError(`${flag}: ${(error as Error).message}`);
    }
  };
  const bits = parse('--bloom-bits', flags.bloomBits, positiveInteger);
  const hashes = parse('--bloom-hashes', flags.bloomHashes, positiveInteger);
  const falsePositiveRate = parse('--bloom-fp-rate', flags.bloomFpRate, probability);
  const capacity = parse('--bloom-capacity', flags.bloomCapacity, positiveInteger);
  const output = String(flags.output);
  let filter: Awaited<ReturnType<typeof buildFilterFromPatterns>>;
  try {
    filter = await buildFilterFromPatterns(patterns, {
      bits,
      hashes,
      falsePositiveRate,
      capacity,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  await saveFilter(filter, output);
  // The path is the user's, but may hold anything a file name can.
  const shownOutput = escapeForTerminal(output);
  process.stderr.write(
    `logstream: wrote ${shownOutput}: ${filter.bits} bits, ${filter.hashes} hashes, ` +
      `expected false-positive rate ${filter.expectedFalsePositiveRate().toPrecision(3)}\n`,
  );
  return 0;
}
