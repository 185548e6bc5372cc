import { TASK_NAMES, type TaskName } from '../../operators/records.js';
import { GROUP_NAME } from '../nats/names.js';
import { MAX_LAZY_WORKERS } from '../threads/batch-reducer.js';
import { UsageError } from '../usage-error.js';

/** Turns the text (or config value) of an option into its value, or says why it cannot. */
export type Parse<T> = (value: unknown) => T;

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;

/** `250ms`, `10s`, `5m`, `1h`; a bare number is seconds. Returns seconds, always > 0. */
export const duration: Parse<number> = (value) => {
  const seconds = nonNegativeDuration(value);
  if (seconds <= 0) throw new UsageError(`'${String(value).trim()}' must be longer than zero`);
  return seconds;
};

/** A {@link duration} that may be zero (`0`, `0s`): a delay or a lateness. */
export const nonNegativeDuration: Parse<number> = (value) => {
  const text = String(value).trim();
  const match = DURATION.exec(text);
  if (!match) throw new UsageError(`'${text}' is not a duration (like 250ms, 10s, 5m, 1h)`);
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as keyof typeof UNIT_SECONDS];
};

export const positiveInteger: Parse<number> = (value) => {
  const text = String(value).trim();
  const number = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`'${text}' is not a positive whole number`);
  }
  return number;
};

export const nonNegativeInteger: Parse<number> = (value) => {
  const text = String(value).trim();
  const number = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(number)) {
    throw new UsageError(`'${text}' is not a whole number >= 0`);
  }
  return number;
};

/** A seed for every random choice: an integer in [0, 2^32). */
export const seed: Parse<number> = (value) => {
  const number = nonNegativeInteger(value);
  if (number >= 2 ** 32)
    throw new UsageError(`'${value}' is too large for a seed (at most ${2 ** 32 - 1})`);
  return number;
};

export const probability: Parse<number> = (value) => {
  const text = String(value).trim();
  const number = Number(text);
  if (text === '' || !Number.isFinite(number) || number <= 0 || number >= 1) {
    throw new UsageError(`'${text}' is not a probability between 0 and 1 (exclusive)`);
  }
  return number;
};

export const positiveNumber: Parse<number> = (value) => {
  const text = String(value).trim();
  const number = Number(text);
  if (text === '' || !Number.isFinite(number) || number <= 0)
    throw new UsageError(`'${text}' is not a number > 0`);
  return number;
};

export const fraction: Parse<number> = (value) => {
  const text = String(value).trim();
  const number = Number(text);
  if (text === '' || !Number.isFinite(number) || number < 0 || number > 1) {
    throw new UsageError(`'${text}' is not a number between 0 and 1`);
  }
  return number;
};

export const path: Parse<string> = (value) => {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError('expects a file path');
  return value;
};

export const flag: Parse<boolean> = (value) => {
  if (typeof value !== 'boolean') throw new UsageError(`'${String(value)}' is not true or false`);
  return value;
};

/**
 * The values a parser accepts, where it names them: what shell completion offers. `list`:
 * several of them, comma-separated.
 */
export interface Choices {
  readonly values: readonly string[];
  readonly list: boolean;
}

const CHOICES = new WeakMap<Parse<unknown>, Choices>();

function withChoices<T>(parse: Parse<T>, values: readonly string[], list = false): Parse<T> {
  CHOICES.set(parse, { values, list });
  return parse;
}

/** The values `parse` accepts, when it names them (see {@link oneOf}, {@link taskNames}). */
export function choicesOf(parse: Parse<unknown>): Choices | undefined {
  return CHOICES.get(parse);
}

/** Comma-separated task names (a config file may give an array). */
export const taskNames: Parse<TaskName[]> = withChoices(
  (value) => {
    const names = (Array.isArray(value) ? value.map(String) : String(value).split(','))
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    if (names.length === 0) throw new UsageError('names no task');
    for (const name of names) {
      if (!TASK_NAMES.includes(name as TaskName)) {
        throw new UsageError(`unknown task '${name}' (tasks: ${TASK_NAMES.join(', ')})`);
      }
    }
    return TASK_NAMES.filter((name) => names.includes(name));
  },
  TASK_NAMES,
  true,
);

export function oneOf<T extends string>(...choices: T[]): Parse<T> {
  return withChoices((value) => {
    const text = String(value).trim();
    if (!choices.includes(text as T))
      throw new UsageError(`'${text}' is not one of ${choices.join(', ')}`);
    return text as T;
  }, choices);
}

/** A number of threads, or `auto` (one per core when the input is large). */
export const workerCount: Parse<number | 'auto'> = (value) => {
  if (String(value).trim() === 'auto') return 'auto';
  const count = nonNegativeInteger(value);
  if (count > MAX_LAZY_WORKERS)
    throw new UsageError(`'${count}' is more than ${MAX_LAZY_WORKERS} threads`);
  return count;
};

/**
 * Two failure rates `warn,critical` (from 0 to 1, warn <= critical): the text `0.5,0.8` of a
 * flag, or the array `[0.5, 0.8]` of a config file.
 */
export const thresholdPair: Parse<{ warn: number; critical: number }> = (value) => {
  const text = Array.isArray(value) ? value.join(',') : String(value).trim();
  const parts = text.split(',').map((part) => part.trim());
  const [warn, critical] = parts.map(Number);
  const isRate = (rate: number | undefined) =>
    rate !== undefined && Number.isFinite(rate) && rate >= 0 && rate <= 1;
  if (parts.length !== 2 || parts.includes('') || !isRate(warn) || !isRate(critical)) {
    throw new UsageError(`'${text}' is not two rates warn,critical between 0 and 1`);
  }
  if (warn! > critical!) {
    throw new UsageError(`'${text}': the warning rate must not be above the critical one`);
  }
  return { warn: warn!, critical: critical! };
};

/**
 * Where `--metrics` listens: `port`, `host:port` or `[v6]:port`. A bare port listens on the
 * loopback address only: metrics are served to a scraper on the same machine unless a host
 * is named (`0.0.0.0:9464` for every interface). Port 0 picks a free one.
 */
export const listenAddress: Parse<{ host: string; port: number }> = (value) => {
  const text = String(value).trim();
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):)?(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`'${text}' is not a port or host:port (like 9464 or 0.0.0.0:9464)`);
  }
  const host = match[1] === undefined ? '127.0.0.1' : match[1].replace(/^\[|\]$/g, '');
  return { host, port };
};

/** Globs given once or more (a config file may give an array): every one kept, in order. */
export const globs: Parse<string[]> = (value) => {
  const list = Array.isArray(value) ? value : [value];
  const patterns = list.map((item) => {
    if (typeof item !== 'string' || item.trim() === '') throw new UsageError('expects a glob');
    return item;
  });
  if (patterns.length === 0) throw new UsageError('expects a glob');
  return patterns;
};

/** A field name, or a dotted path into nested objects (`msg.text`): its parts. */
export const fieldPath: Parse<readonly string[]> = (value) => {
  const text = String(value);
  const parts = text.split('.');
  if (text.trim() === '' || parts.some((part) => part === '')) {
    throw new UsageError(`'${text}' is not a field name or a dotted path (like msg.text)`);
  }
  return parts;
};

/**
 * NATS servers, comma-separated: `nats://host:port` or `host:port` each (the client's own
 * forms), checked here so a typo is one line naming `--nats`, not a connection timeout.
 */
export const natsServers: Parse<string> = (value) => {
  const text = String(value).trim();
  const servers = text.split(',').map((server) => server.trim());
  for (const server of servers) {
    if (!/^(nats|tls):\/\/[^\s/,]+(:\d{1,5})?$|^[^\s/:,]+:\d{1,5}$/.test(server)) {
      throw new UsageError(`'${server}' is not a NATS server (like nats://127.0.0.1:4222)`);
    }
  }
  return servers.join(',');
};

/** A scale-out group: letters, digits, `-` and `_` (it is part of subjects and keys). */
export const groupName: Parse<string> = (value) => {
  const text = String(value).trim();
  if (!GROUP_NAME.test(text)) {
    throw new UsageError(`'${text}' is not a group name (1 to 64 letters, digits, - or _)`);
  }
  return text;
};
