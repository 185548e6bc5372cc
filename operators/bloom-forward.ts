import { concatMap, defer, map, type OperatorFunction, tap } from 'rxjs';
import { EventBatch, type OperatorInput } from './batch.js';
import { BloomFilter } from './bloom-filter.js';
import { type LogEvent, rate } from './event.js';
import type { BloomRecord } from './records.js';
import { type SideOutput, sideOutputObserver } from './side-output.js';
import {
  columnField,
  countField,
  type EncodedState,
  encodeColumn,
  openEncoded,
  requireSameOptions,
  StateError,
  type TaskState,
} from './task-state.js';

const TASK = 'bloom';
const VERSION = 1;

/** The options of a {@link BloomState}. */
export interface BloomStateOptions {
  /** The messages of interest. Only read: one filter can serve many states. */
  readonly filter: BloomFilter;
}

/**
 * The state of Task 4: the filter of the messages of interest, how many valid events were
 * checked against it and forwarded, and the same two counts for the last batch.
 *
 * Merging: two states merge only when they hold the same filter (same bits, hashes and bit
 * array; a StateError "bloom states differ in filter: …" otherwise). `checked`, `forwarded`
 * and the batch count add up, so they are exact under any split of the input, merged in any
 * order. The `batch…` fields are those of the last merged state that saw a batch:
 * `a.merge(b)` takes `b`'s when `b` saw a batch, else `a`'s. That makes merge associative,
 * the empty state its identity on both sides, and merging the states of consecutive parts
 * of the input in order gives exactly the record of one run over all of it.
 *
 * The filter is held by reference, not copied: the record reads its current fill, as the
 * operator always did. The encoding holds the filter itself, so a saved state decodes on
 * its own; its options name the filter by size and {@link BloomFilter.fingerprint}.
 *
 * @example
 * ```ts
 * const a = BloomState.create({ filter }).add(EventBatch.of(firstHalf));
 * const b = BloomState.create({ filter }).add(EventBatch.of(secondHalf));
 * a.merge(b).record(); // the record of one run over both halves, in this order
 * BloomState.decode(JSON.parse(JSON.stringify(a.encode())), { filter }).record(); // a's
 * ```
 */
export class BloomState implements TaskState<BloomState, BloomRecord> {
  readonly task = TASK;

  private constructor(
    /** The filter every message is tested against. */
    readonly filter: BloomFilter,
    private checkedCount: number,
    private forwardedCount: number,
    private batchCount: number,
    private lastChecked: number,
    private lastForwarded: number,
  ) {}

  /** An empty state for `filter`. */
  static create(options: BloomStateOptions): BloomState {
    return new BloomState(requireFilter(options?.filter), 0, 0, 0, 0, 0);
  }

  /** Valid events checked so far. */
  get checked(): number {
    return this.checkedCount;
  }

  /** Events forwarded so far: those whose whole message tested positive. */
  get forwarded(): number {
    return this.forwardedCount;
  }

  /** Batches added so far (empty ones included): each one is what a record covers. */
  get batches(): number {
    return this.batchCount;
  }

  /**
   * Tests every event of `batch`, in place, calling `visit` with each forwarded event (the
   * original object) in input order. Each distinct message of the batch is tested once.
   */
  add(batch: EventBatch, visit?: (event: LogEvent) => void): this {
    const forwarded = forEachForwarded(this.filter, batch, visit);
    this.checkedCount += batch.length;
    this.forwardedCount += forwarded;
    this.batchCount += 1;
    this.lastChecked = batch.length;
    this.lastForwarded = forwarded;
    return this;
  }

  /**
   * A new state over both inputs, `other`'s after this one's; neither changes. The result
   * holds this state's filter.
   * @throws {StateError} "bloom states differ in filter: …" when the filters differ.
   */
  merge(other: BloomState): BloomState {
    requireSameFilter(this.filter, other.filter);
    const last = other.batchCount > 0 ? other : this;
    return new BloomState(
      this.filter,
      this.checkedCount + other.checkedCount,
      this.forwardedCount + other.forwardedCount,
      this.batchCount + other.batchCount,
      last.lastChecked,
      last.lastForwarded,
    );
  }

  record(): BloomRecord {
    const { filter } = this;
    return {
      task: TASK,
      bits: filter.bits,
      hashes: filter.hashes,
      falsePositiveRate: filter.expectedFalsePositiveRate(),
      checked: this.checkedCount,
      forwarded: this.forwardedCount,
      ratio: rate(this.forwardedCount, this.checkedCount),
      batchChecked: this.lastChecked,
      batchForwarded: this.lastForwarded,
      batchRatio: rate(this.lastForwarded, this.lastChecked),
    };
  }

  /** What `run --once` prints at the end: the record. */
  finalRecords(): BloomRecord[] {
    return [this.record()];
  }

  /** The options that shape the state, as in its encoding: the filter's identity. */
  options(): EncodedState['options'] {
    return BloomState.optionsOf(this.filter);
  }

  /** The encoded options of a state of `filter`: its size and fingerprint. */
  static optionsOf(filter: BloomFilter): EncodedState['options'] {
    return {
      filter: { bits: filter.bits, hashes: filter.hashes, fingerprint: filter.fingerprint() },
    };
  }

  /** The state as JSON, the filter included (its bytes in base64). */
  encode(): EncodedState {
    return {
      task: TASK,
      version: VERSION,
      options: this.options(),
      state: {
        filter: encodeColumn(this.filter.toBytes()),
        checked: this.checkedCount,
        forwarded: this.forwardedCount,
        batches: this.batchCount,
        batchChecked: this.lastChecked,
        batchForwarded: this.lastForwarded,
      },
    };
  }

  /**
   * The state of {@link encode}'s JSON, with the filter it holds or, when `options` is
   * given, with `options.filter` itself once it is known to be the same filter.
   * @throws {StateError} for another task, another version, another filter than
   * `options.filter` ("bloom states differ in filter: …"), or missing, malformed or
   * inconsistent fields (a filter that does not match its own options among them).
   */
  static decode(encoded: unknown, options?: BloomStateOptions): BloomState {
    const given = options === undefined ? undefined : requireFilter(options.filter);
    const opened = openEncoded(
      encoded,
      TASK,
      VERSION,
      given === undefined ? undefined : BloomState.optionsOf(given),
    );
    const { state } = opened;
    const bytes = columnField(TASK, state, 'filter', Uint8Array);
    let saved: BloomFilter;
    try {
      saved = BloomFilter.fromBytes(bytes);
    } catch (error) {
      throw new StateError(`${TASK} state: filter: ${(error as Error).message}`);
    }
    const named = opened.options.filter as { [field: string]: unknown } | undefined;
    const actual = BloomState.optionsOf(saved).filter as { [field: string]: unknown };
    for (const field of ['bits', 'hashes', 'fingerprint']) {
      if (named?.[field] !== actual[field]) {
        throw new StateError(
          `${TASK} state: its filter has ${field} ${JSON.stringify(actual[field])}, its options say ${JSON.stringify(named?.[field]) ?? 'none'}`,
        );
      }
    }
    if (given !== undefined) requireSameFilter(given, saved);
    const count = (name: string): number => countField(TASK, state, name);
    const checked = count('checked');
    const forwarded = count('forwarded');
    const batches = count('batches');
    const batchChecked = count('batchChecked');
    const batchForwarded = count('batchForwarded');
    if (
      forwarded > checked ||
      batchForwarded > batchChecked ||
      batchChecked > checked ||
      batchForwarded > forwarded ||
      (batches === 0 && checked > 0)
    ) {
      throw new StateError(
        `${TASK} state: inconsistent counts (${forwarded} of ${checked} forwarded, ${batchForwarded} of ${batchChecked} in the last of ${batches} batches)`,
      );
    }
    return new BloomState(
      given ?? saved,
      checked,
      forwarded,
      batches,
      batchChecked,
      batchForwarded,
    );
  }
}

interface BloomForwardFields {
  /** The messages of interest. Only read: one filter can serve many subscriptions. */
  readonly filter?: BloomFilter;
  /**
   * Receives each forwarded event (the original object) as soon as its batch is checked,
   * before the batch's record is emitted. An observer also sees the source's completion
   * and error, as with `tap`.
   */
  readonly forwarded?: SideOutput<LogEvent>;
  /**
   * Continue from this state: the operator adds to this very value, so its owner can read,
   * encode or merge it at any time (one subscription at a time). It holds the filter; a
   * `filter` given as well must be the same filter (the same bits). Without a state, each
   * subscription starts from an empty state of `filter`.
   */
  readonly state?: BloomState;
}

/** The options of {@link bloomForward}: a filter, or a state that holds one, or both. */
export type BloomForwardOptions =
  | (BloomForwardFields & { readonly filter: BloomFilter })
  | (BloomForwardFields & { readonly state: BloomState });

/**
 * Task 4: decides, event by event, whether a log event is of interest, by testing its whole
 * message against a Bloom filter of the messages of interest, and counts what it lets through.
 *
 * Emits one {@link BloomRecord} per input value (one event, or one array of events processed
 * as a unit): `checked` and `forwarded` count every valid event so far and those whose message
 * tested positive, `ratio` is forwarded / checked (`null` before any valid event), and the
 * `batch…` fields count the same for this input value alone. `bits`, `hashes` and
 * `falsePositiveRate` describe the filter: the chance that a message not in the list is
 * forwarded anyway. Messages in the list are always forwarded. Invalid events are skipped
 * (sources report them). Each subscription counts from zero, unless `state` is given: then
 * the counts continue from that {@link BloomState}, which the operator updates in place.
 *
 * ```
 * source: --a----b--|      a: [500, 200], b: 500      filter holds "HTTP Status Code: 500"
 * bloomForward({ filter })
 * result: --x----y--|      x: checked 2, forwarded 1, batchRatio 0.5
 *                          y: checked 3, forwarded 2, ratio 2/3, batchRatio 1
 * ```
 *
 * @example
 * ```ts
 * const filter = BloomFilter.optimal(2, 0.01);
 * filter.add('HTTP Status Code: 500');
 * events$
 *   .pipe(bloomForward({ filter, forwarded: (event) => alerts.push(event) }))
 *   .subscribe((r) => console.log(`${r.forwarded}/${r.checked} forwarded`));
 *
 * // Resume from a saved state, and save it again at any time:
 * const state = BloomState.decode(saved, { filter });
 * events$.pipe(bloomForward({ filter, state })).subscribe(print);
 * save(state.encode());
 * ```
 *
 * @throws {RangeError} without a filter or a state.
 * @throws {StateError} when `state` holds another filter than `filter`.
 */
export function bloomForward(
  options: BloomForwardOptions,
): OperatorFunction<OperatorInput, BloomRecord> {
  const given = options.state;
  const filter = requireFilter(options.filter ?? given?.filter);
  if (given !== undefined) requireSameFilter(given.filter, filter);
  const observer = sideOutputObserver(options.forwarded);
  return (source) =>
    defer(() => {
      const state = given ?? BloomState.create({ filter });
      return source.pipe(
        map((input) => state.add(EventBatch.of(input), observer.next).record()),
        tap({ complete: observer.complete, error: observer.error }),
      );
    });
}

/**
 * The events that {@link bloomForward} forwards, as an Observable: each valid event whose
 * whole message tests positive in `filter`, as the original object, in input order.
 *
 * ```
 * source: --a----b--|      a: [500, 200], b: 500      filter holds "HTTP Status Code: 500"
 * forwardedEvents(filter)
 * result: --f----g--|      f: the 500 of a, g: b
 * ```
 *
 * @example
 * ```ts
 * events$.pipe(forwardedEvents(filter)).subscribe((event) => forwardTo(alerting, event));
 * ```
 */
export function forwardedEvents(filter: BloomFilter): OperatorFunction<OperatorInput, LogEvent> {
  return concatMap((input) => {
    const selected: LogEvent[] = [];
    forEachForwarded(filter, EventBatch.of(input), (event) => selected.push(event));
    return selected;
  });
}

function requireFilter(filter: unknown): BloomFilter {
  if (!(filter instanceof BloomFilter)) throw new RangeError('bloom needs a filter: a BloomFilter');
  return filter;
}

/** @throws {StateError} "bloom states differ in filter: …" unless `a` and `b` answer alike. */
function requireSameFilter(a: BloomFilter, b: BloomFilter): void {
  if (a.sameBits(b)) return;
  requireSameOptions(TASK, BloomState.optionsOf(a), BloomState.optionsOf(b));
  // Equal fingerprints of different bits: rare, but still not the same filter.
  throw new StateError(
    `${TASK} states differ in filter: same size and fingerprint, different bits`,
  );
}

/**
 * Calls `visit` with each event of the batch whose message tests positive; returns how many.
 * The batch codes its messages, and logs repeat them, so each distinct message is hashed
 * once and each event only reads its message's answer.
 */
function forEachForwarded(
  filter: BloomFilter,
  batch: EventBatch,
  visit: ((event: LogEvent) => void) | undefined,
): number {
  const { messageTexts, messageIds } = batch;
  const positive = new Uint8Array(messageTexts.length);
  let anyPositive = false;
  for (let m = 0; m < messageTexts.length; m++) {
    if (filter.has(messageTexts[m]!)) {
      positive[m] = 1;
      anyPositive = true;
    }
  }
  if (!anyPositive) return 0;
  let forwarded = 0;
  for (let i = 0; i < messageIds.length; i++) {
    if (positive[messageIds[i]!] === 1) {
      forwarded++;
      visit?.(batch.eventAt(i));
    }
  }
  return forwarded;
}
