import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Observable, Subject } from 'rxjs';
import type { BloomFilter } from '../operators/bloom-filter.js';
import { bloomForward } from '../operators/bloom-forward.js';
import type { LogEvent } from '../operators/event.js';
import { keyedWindows } from '../operators/keyed-windows.js';
import { lazyGroups } from '../operators/lazy-groups.js';
import type { TaskName } from '../operators/records.js';
import { reservoirSample } from '../operators/reservoir-sample.js';
import { runningAverage } from '../operators/running-average.js';
import { slidingWindow } from '../operators/sliding-window.js';
import { BloomFileError, buildFilterFromPatterns, loadFilter } from './bloom-file.js';
import { defaultPath } from './bundled.js';
import { DEFAULT_PATTERNS, type RunOptions } from './cli/run-options.js';
import { UsageError } from './cli/values.js';
import type { TaskOperator } from './pipeline.js';

export interface Tasks {
  /** The selected tasks' operators, in task order. */
  readonly operators: ReadonlyMap<TaskName, TaskOperator>;
  /** Events the Bloom filter forwarded. */
  readonly forwarded: Observable<LogEvent>;
  /** Flushes and closes what the tasks opened (the --forward file). */
  close(): Promise<void>;
}

/**
 * Threads that read and scan files beside the main thread, which runs the operators: every
 * core when few tasks leave the main thread mostly waiting for input, one less when it has
 * several operators to run (measured on 2 cores: Task 5 alone is 25 % faster with two reader
 * threads, all six tasks are fastest with one).
 */
export function readerThreadsFor(tasks: readonly TaskName[]): number {
  const cores = availableParallelism();
  return tasks.length <= 2 ? cores : Math.max(1, cores - 1);
}

/** Builds the operators of the selected tasks from the resolved options. */
export async function createTasks(options: RunOptions): Promise<Tasks> {
  const operators = new Map<TaskName, TaskOperator>();
  const forwarded = new Subject<LogEvent>();
  let forwardFile: WriteStream | undefined;
  for (const name of options.task) {
    switch (name) {
      case 'running-average':
        operators.set(name, runningAverage());
        break;
      case 'sliding-window':
        operators.set(
          name,
          slidingWindow({ windowSeconds: options.slidingWindow, clock: options.clock }),
        );
        break;
      case 'reservoir':
        operators.set(
          name,
          reservoirSample({ capacity: options.reservoirSize, seed: options.seed }),
        );
        break;
      case 'bloom': {
        const filter = await bloomFilterOf(options);
        forwardFile = options.forward === undefined ? undefined : openForwardFile(options.forward);
        const file = forwardFile;
        const onForward = (event: LogEvent) => {
          file?.write(`${JSON.stringify(event)}\n`);
          forwarded.next(event);
        };
        operators.set(name, bloomForward({ filter, forwarded: onForward }));
        break;
      }
      case 'lazy-groups':
        operators.set(
          name,
          lazyGroups({
            batchSize: options.batchSize,
            groupEverySeconds: options.groupEvery,
            workers: options.lazyWorkers ?? 0,
          }),
        );
        break;
      case 'keyed-windows':
        operators.set(
          name,
          keyedWindows({
            windowSeconds: options.keyedWindow,
            slideSeconds: options.keyedSlide ?? options.keyedWindow,
            watermarkSeconds: options.watermark,
            anomalyThreshold: options.anomalyThreshold,
          }),
        );
        break;
      default:
        break;
    }
  }
  return {
    operators,
    forwarded,
    close: async () => {
      forwarded.complete();
      if (forwardFile) await new Promise<void>((resolve) => forwardFile.end(resolve));
    },
  };
}

async function bloomFilterOf(options: RunOptions): Promise<BloomFilter> {
  try {
    if (options.bloomFilter !== undefined) return await loadFilter(options.bloomFilter);
    return await buildFilterFromPatterns(options.bloomPatterns ?? defaultPath(DEFAULT_PATTERNS), {
      bits: options.bloomBits,
      hashes: options.bloomHashes,
      falsePositiveRate: options.bloomFpRate,
    });
  } catch (error) {
    if (error instanceof BloomFileError || error instanceof RangeError)
      throw new UsageError(error.message);
    throw error;
  }
}

function openForwardFile(path: string): WriteStream {
  try {
    return createWriteStream('', { fd: openSync(path, 'a') });
  } catch (error) {
    throw new UsageError(`--forward ${path}: ${(error as Error).message}`);
  }
}
