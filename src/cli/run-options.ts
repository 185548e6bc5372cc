import { readFileSync } from 'node:fs';
import { KEYED_WINDOWS_DEFAULTS } from '../../operators/keyed-windows.js';
import { LAZY_GROUPS_DEFAULTS } from '../../operators/lazy-groups/lazy-groups.js';
import { TASK_NAMES, type TaskName } from '../../operators/records.js';
import { DEFAULT_RESERVOIR_CAPACITY } from '../../operators/reservoir-sample.js';
import { DEFAULT_MAX_SERVICES } from '../../operators/service-limit.js';
import { DEFAULT_WINDOW_SECONDS } from '../../operators/sliding-window.js';
import { DEFAULT_SLIDE_SECONDS } from '../../operators/sliding-window-panes.js';
import { DEFAULT_BLOOM_CAPACITY, DEFAULT_FALSE_POSITIVE_RATE } from '../bloom-file.js';
import { DEFAULT_THRESHOLDS } from '../dashboard/levels.js';
import { DEFAULT_PARTITIONS } from '../nats/names.js';
import { UsageError } from '../usage-error.js';
import { type EnvironmentKind, environmentName, environmentValue } from './environment.js';
import {
  duration,
  fieldPath,
  flag,
  globs,
  groupName,
  listenAddress,
  natsServers,
  nonNegativeDuration,
  oneOf,
  type Parse,
  path,
  positiveInteger,
  positiveNumber,
  probability,
  seed,
  taskNames,
  thresholdPair,
  workerCount,
} from './values.js';

interface OptionSpec<T> {
  /** The flag as commander declares it. */
  readonly flag: string;
  readonly description: string;
  readonly parse: Parse<T>;
  /** Shown in --help; the value itself comes from `defaults`. */
  readonly shownDefault?: string;
  /** Given more than once, every value is kept (an array). */
  readonly repeatable?: boolean;
}

export const DEFAULT_PATTERNS = 'data/interesting-messages.txt';

/**
 * The defaults of SPEC.md: the operators' own, so that the command line and the library
 * cannot drift apart.
 */
const DEFAULTS = {
  once: false,
  task: TASK_NAMES,
  slidingWindow: DEFAULT_WINDOW_SECONDS,
  clock: 'event',
  slidingSlide: DEFAULT_SLIDE_SECONDS,
  reservoirSize: DEFAULT_RESERVOIR_CAPACITY,
  bloomFpRate: DEFAULT_FALSE_POSITIVE_RATE,
  batchSize: LAZY_GROUPS_DEFAULTS.batchSize,
  keyedWindow: KEYED_WINDOWS_DEFAULTS.windowSeconds,
  watermark: KEYED_WINDOWS_DEFAULTS.watermarkSeconds,
  allowedLateness: KEYED_WINDOWS_DEFAULTS.allowedLatenessSeconds,
  anomalyThreshold: KEYED_WINDOWS_DEFAULTS.anomalyThreshold,
  maxServices: DEFAULT_MAX_SERVICES,
  checkpointInterval: 1,
  failureThresholds: DEFAULT_THRESHOLDS.failure,
  riseThresholds: DEFAULT_THRESHOLDS.rise,
  recursive: false,
  serviceField: ['service'],
  timestampField: ['timestamp'],
  messageField: ['message'],
  timestampUnit: 's',
  strict: false,
  diagnostics: 'text',
  merged: false,
  leaseTimeout: 10,
} as const;

/**
 * Every option of `run` and `dashboard`, keyed by its camelCase name (the key a --config
 * file uses). One table drives --help, config files and validation, so they cannot disagree.
 */
export const RUN_OPTION_SPECS = {
  once: { flag: '--once', description: 'read what the source holds now, emit, exit', parse: flag },
  task: {
    flag: '--task <names>',
    description: `comma-separated task names to run: ${TASK_NAMES.join(', ')}`,
    parse: taskNames,
    shownDefault: 'all six',
  },
  slidingWindow: {
    flag: '--sliding-window <dur>',
    description: 'Task 2 window length',
    parse: duration,
    shownDefault: `${DEFAULTS.slidingWindow}s`,
  },
  clock: {
    flag: '--clock <clock>',
    description: 'Task 2 time: event (timestamps) or processing (arrival)',
    parse: oneOf('event', 'processing'),
    shownDefault: 'event',
  },
  slidingSlide: {
    flag: '--sliding-slide <dur>',
    description: 'Task 2 with --clock processing: a record every slide (RxJS windowTime)',
    parse: duration,
    shownDefault: `${DEFAULTS.slidingSlide}s`,
  },
  reservoirSize: {
    flag: '--reservoir-size <n>',
    description: 'Task 3 capacity',
    parse: positiveInteger,
    shownDefault: String(DEFAULTS.reservoirSize),
  },
  seed: {
    flag: '--seed <n>',
    description: 'seed of every random choice: same seed and input, same output',
    parse: seed,
    shownDefault: 'random',
  },
  bloomPatterns: {
    flag: '--bloom-patterns <file>',
    description: 'Task 4 messages of interest, one per line',
    parse: path,
    shownDefault: DEFAULT_PATTERNS,
  },
  bloomFilter: {
    flag: '--bloom-filter <file>',
    description: 'a filter built by `logstream bloom build` (instead of patterns)',
    parse: path,
  },
  bloomBits: {
    flag: '--bloom-bits <n>',
    description: 'Task 4 filter size in bits',
    parse: positiveInteger,
  },
  bloomHashes: {
    flag: '--bloom-hashes <n>',
    description: 'Task 4 hash functions',
    parse: positiveInteger,
  },
  bloomCapacity: {
    flag: '--bloom-capacity <n>',
    description: 'Task 4 filter sized for this many messages (at least the pattern count)',
    parse: positiveInteger,
    shownDefault: String(DEFAULT_BLOOM_CAPACITY),
  },
  bloomFpRate: {
    flag: '--bloom-fp-rate <p>',
    description: 'Task 4 target false-positive rate',
    parse: probability,
    shownDefault: String(DEFAULTS.bloomFpRate),
  },
  forward: {
    flag: '--forward <file>',
    description: 'append each forwarded event to this file as an NDJSON line',
    parse: path,
  },
  batchSize: {
    flag: '--batch-size <n>',
    description: 'Task 5 events per batch',
    parse: positiveInteger,
    shownDefault: String(DEFAULTS.batchSize),
  },
  lazyWorkers: {
    flag: '--lazy-workers <n>',
    description:
      "Task 5 threads reducing batches: a number, or 'auto' (one per core on large inputs)",
    parse: workerCount,
    shownDefault: '0: reduce on the main thread, files are already parsed on every core',
  },
  groupEvery: {
    flag: '--group-every <dur>',
    description: 'Task 5 also groups per service per time bucket of this length',
    parse: duration,
  },
  keyedWindow: {
    flag: '--keyed-window <dur>',
    description: 'Task 6 window length',
    parse: duration,
    shownDefault: `${DEFAULTS.keyedWindow}s`,
  },
  keyedSlide: {
    flag: '--keyed-slide <dur>',
    description: 'Task 6 slide (equal to the window: tumbling)',
    parse: duration,
    shownDefault: 'the window',
  },
  watermark: {
    flag: '--watermark <dur>',
    description: 'Task 6 delay of the watermark behind the newest event',
    parse: nonNegativeDuration,
    shownDefault: `${DEFAULTS.watermark}s`,
  },
  allowedLateness: {
    flag: '--allowed-lateness <dur>',
    description:
      'Task 6 keeps an emitted window this long past the watermark; a late event in it re-emits it with update: true',
    parse: nonNegativeDuration,
    shownDefault: `${DEFAULTS.allowedLateness}s`,
  },
  lateOutput: {
    flag: '--late-output <file>',
    description: 'append each event too late for Task 2 or Task 6 to this file as an NDJSON line',
    parse: path,
  },
  idleFlush: {
    flag: '--idle-flush <dur>',
    description:
      "following: after this much time with no new event, Task 6's watermark moves up to the newest timestamp",
    parse: nonNegativeDuration,
    shownDefault: 'the watermark',
  },
  anomalyThreshold: {
    flag: '--anomaly-threshold <z>',
    description: 'Task 6 z-score that flags a window',
    parse: positiveNumber,
    shownDefault: String(DEFAULTS.anomalyThreshold),
  },
  maxServices: {
    flag: '--max-services <n>',
    description:
      'services counted apart by Tasks 1, 2, 5 and 6; the others are counted together as (other)',
    parse: positiveInteger,
    shownDefault: String(DEFAULTS.maxServices),
  },
  saveState: {
    flag: '--save-state <file>',
    description: 'at exit, write the state of every selected task (see `logstream merge`)',
    parse: path,
  },
  checkpoint: {
    flag: '--checkpoint <dir>',
    description: 'keep a checkpoint in this directory and resume from it (exactly-once state)',
    parse: path,
  },
  record: {
    flag: '--record <file>',
    description:
      'write every source batch, with its arrival time, to this recording (see `logstream replay`)',
    parse: path,
  },
  checkpointInterval: {
    flag: '--checkpoint-interval <dur>',
    description: 'least time between two checkpoints (one is also written at exit)',
    parse: duration,
    shownDefault: `${DEFAULTS.checkpointInterval}s`,
  },
  failureThresholds: {
    flag: '--failure-thresholds <warn,critical>',
    description: 'dashboard: failure rates coloured as a warning and as critical',
    parse: thresholdPair,
    shownDefault: pairText(DEFAULTS.failureThresholds),
  },
  riseThresholds: {
    flag: '--rise-thresholds <warn,critical>',
    description: "dashboard: rises of a failure rate over the service's own since start",
    parse: thresholdPair,
    shownDefault: pairText(DEFAULTS.riseThresholds),
  },
  metrics: {
    flag: '--metrics <[host:]port>',
    description: 'serve /metrics (Prometheus text) and /healthz over HTTP; a bare port is loopback',
    parse: listenAddress,
  },
  recursive: {
    flag: '--recursive',
    description: 'also read the subdirectories of the source',
    parse: flag,
  },
  include: {
    flag: '--include <glob>',
    description: 'read only the files whose path under the source matches (repeatable)',
    parse: globs,
    repeatable: true,
    shownDefault: '*.json, *.ndjson, *.jsonl, and each .gz',
  },
  exclude: {
    flag: '--exclude <glob>',
    description: 'skip the files whose path under the source matches (repeatable)',
    parse: globs,
    repeatable: true,
  },
  serviceField: {
    flag: '--service-field <name>',
    description: "the event's service field (a dotted path reaches into nested objects)",
    parse: fieldPath,
    shownDefault: 'service',
  },
  timestampField: {
    flag: '--timestamp-field <name>',
    description: "the event's timestamp field (a dotted path reaches into nested objects)",
    parse: fieldPath,
    shownDefault: 'timestamp',
  },
  messageField: {
    flag: '--message-field <name>',
    description: "the event's message field (a dotted path reaches into nested objects)",
    parse: fieldPath,
    shownDefault: 'message',
  },
  timestampUnit: {
    flag: '--timestamp-unit <unit>',
    description: 'numeric timestamps in epoch seconds (s) or milliseconds (ms)',
    parse: oneOf('s', 'ms'),
    shownDefault: 's',
  },
  strict: {
    flag: '--strict',
    description: 'exit status 1 at the end when any file or event was invalid',
    parse: flag,
  },
  nats: {
    flag: '--nats <url>',
    description:
      'scale-out: the NATS JetStream servers (comma-separated); with --group, run as a worker of the group',
    parse: natsServers,
  },
  group: {
    flag: '--group <name>',
    description: 'scale-out: the group of workers this one shares the partitions with',
    parse: groupName,
  },
  merged: {
    flag: '--merged',
    description: "scale-out: show the records of the group's merged state instead of working",
    parse: flag,
  },
  partitions: {
    flag: '--partitions <n>',
    description: 'publish: partitions of a stream it creates',
    parse: positiveInteger,
    shownDefault: String(DEFAULT_PARTITIONS),
  },
  leaseTimeout: {
    flag: '--lease-timeout <dur>',
    description:
      'scale-out: a partition whose owner has not renewed its lease this long is taken over',
    parse: duration,
    shownDefault: `${DEFAULTS.leaseTimeout}s`,
  },
  diagnostics: {
    flag: '--diagnostics <format>',
    description: 'diagnostics on stderr: text lines, or json (one object per line)',
    parse: oneOf('text', 'json'),
    shownDefault: 'text',
  },
} satisfies Record<string, OptionSpec<unknown>>;

type Specs = typeof RUN_OPTION_SPECS;
export type RunOptionName = keyof Specs;
type Parsed = { [K in RunOptionName]: ReturnType<Specs[K]['parse']> };

/**
 * The options of `run` and `dashboard`, resolved: flags, then environment variables, then
 * the config file, then defaults.
 */
export interface RunOptions extends Partial<Parsed> {
  readonly once: boolean;
  readonly task: TaskName[];
  readonly slidingWindow: number;
  readonly clock: 'event' | 'processing';
  readonly slidingSlide: number;
  readonly reservoirSize: number;
  readonly bloomFpRate: number;
  readonly batchSize: number;
  readonly keyedWindow: number;
  readonly watermark: number;
  readonly allowedLateness: number;
  readonly anomalyThreshold: number;
  readonly maxServices: number;
  readonly checkpointInterval: number;
  readonly failureThresholds: { readonly warn: number; readonly critical: number };
  readonly riseThresholds: { readonly warn: number; readonly critical: number };
  readonly recursive: boolean;
  readonly serviceField: readonly string[];
  readonly timestampField: readonly string[];
  readonly messageField: readonly string[];
  readonly timestampUnit: 's' | 'ms';
  readonly strict: boolean;
  readonly diagnostics: 'text' | 'json';
  readonly merged: boolean;
  readonly leaseTimeout: number;
}

function pairText({ warn, critical }: { warn: number; critical: number }): string {
  return `${warn},${critical}`;
}

/** The variable that names a config file when --config is not given. */
export const CONFIG_VARIABLE = environmentName('config');

/**
 * Merges the flags given on the command line, the `LOGSTREAM_*` variables of `env` and a
 * config file (--config or LOGSTREAM_CONFIG) — flags win over variables, variables over the
 * file — and checks every value. Errors name the flag, the variable, or the config file and
 * key, and the problem.
 */
export function resolveRunOptions(
  flags: Record<string, unknown>,
  isFromCommandLine: (name: string) => boolean,
  env: NodeJS.ProcessEnv = process.env,
): RunOptions {
  const configFromEnv = environmentValue(env[CONFIG_VARIABLE], 'text');
  const config =
    flags.config !== undefined
      ? readConfig(String(flags.config), '--config')
      : typeof configFromEnv === 'string'
        ? readConfig(configFromEnv, CONFIG_VARIABLE)
        : { file: '', values: new Map<string, unknown>() };
  const resolved: Record<string, unknown> = { ...DEFAULTS, task: [...DEFAULTS.task] };
  for (const [name, spec] of Object.entries(RUN_OPTION_SPECS)) {
    const fromFlag = isFromCommandLine(name) && flags[name] !== undefined;
    const variable = environmentName(name);
    let where = fromFlag ? spec.flag.split(' ')[0] : variable;
    try {
      let value = fromFlag ? flags[name] : environmentValue(env[variable], environmentKind(spec));
      if (value === undefined) {
        value = config.values.get(name);
        where = `${config.file}: ${name}`;
      }
      if (value === undefined) continue;
      resolved[name] = spec.parse(value);
    } catch (error) {
      throw new UsageError(`${where}: ${(error as Error).message}`);
    }
  }
  const options = resolved as unknown as RunOptions;
  if (options.keyedSlide !== undefined && options.keyedSlide > options.keyedWindow) {
    throw new UsageError(
      '--keyed-slide: must not be longer than --keyed-window (events would fall between windows)',
    );
  }
  if (options.clock === 'processing' && options.slidingSlide > options.slidingWindow) {
    throw new UsageError(
      '--sliding-slide: must not be longer than --sliding-window (a record would cover less than a slide)',
    );
  }
  if (options.bloomFilter !== undefined) {
    // A built filter has its patterns and its size already: these would be ignored silently.
    for (const name of ['bloomPatterns', 'bloomBits', 'bloomHashes', 'bloomCapacity'] as const) {
      if (options[name] !== undefined) {
        throw new UsageError(
          `${RUN_OPTION_SPECS[name].flag.split(' ')[0]}: cannot be used with --bloom-filter (the filter file holds its patterns and size)`,
        );
      }
    }
  }
  return options;
}

/** How an option's variable is read: a boolean, a list (repeatable), or the text itself. */
function environmentKind(spec: OptionSpec<unknown>): EnvironmentKind {
  if (spec.parse === flag) return 'flag';
  return spec.repeatable ? 'list' : 'text';
}

/** `origin`: what named the file (`--config` or the variable), for the messages. */
function readConfig(file: string, origin: string): { file: string; values: Map<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${origin} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${origin} ${file}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${origin} ${file}: must hold a JSON object of options`);
  }
  const values = new Map(Object.entries(value));
  for (const key of values.keys()) {
    if (!(key in RUN_OPTION_SPECS) || key === 'config') {
      throw new UsageError(`${origin} ${file}: unknown option '${key}'`);
    }
  }
  return { file, values };
}
