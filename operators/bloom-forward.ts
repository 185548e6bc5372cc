import { concatMap, defer, map, type Observer, type OperatorFunction, scan, tap } from 'rxjs';
import { EventBatch, type OperatorInput } from './batch.js';
import type { BloomFilter } from './bloom-filter.js';
import { type LogEvent, rate } from './event.js';
import type { BloomRecord } from './records.js';

export interface BloomForwardOptions {
  /** The messages of interest. Only read: one filter can serve many subscriptions. */
  readonly filter: BloomFilter;
  /**
   * Receives each forwarded event (the original object) as soon as its batch is checked,
   * before the batch's record is emitted. An observer also sees the source's completion
   * and error, as with `tap`.
   */
  readonly forwarded?: Partial<Observer<LogEvent>> | ((event: LogEvent) => void);
}

interface BloomForwardState {
  checked: number;
  forwarded: number;
  batchChecked: number;
  batchForwarded: number;
}

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
 * (sources report them). Each subscription counts from zero.
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
 * ```
 */
export function bloomForward(
  options: BloomForwardOptions,
): OperatorFunction<OperatorInput, BloomRecord> {
  const { filter } = options;
  const observer = toObserver(options.forwarded);
  return (source) =>
    defer(() => {
      const check = (state: BloomForwardState, input: OperatorInput) => {
        const batch = EventBatch.of(input);
        const forwarded = forEachForwarded(filter, batch, observer.next);
        state.batchChecked = batch.length;
        state.batchForwarded = forwarded;
        state.checked += batch.length;
        state.forwarded += forwarded;
        return state;
      };
      return source.pipe(
        scan(check, { checked: 0, forwarded: 0, batchChecked: 0, batchForwarded: 0 }),
        map((state) => toRecord(filter, state)),
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

/** Distinct messages of a batch whose answers are remembered. */
const MEMO_LIMIT = 4096;

/**
 * Calls `visit` with each event of the batch whose message tests positive; returns how many.
 * Logs repeat their messages, so each distinct message of the batch is hashed once.
 */
function forEachForwarded(
  filter: BloomFilter,
  batch: EventBatch,
  visit: ((event: LogEvent) => void) | undefined,
): number {
  const { messages } = batch;
  const tested = new Map<string, boolean>();
  let forwarded = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    let positive = tested.get(message);
    if (positive === undefined) {
      positive = filter.has(message);
      // Bounded: a batch of all-distinct messages gains nothing from remembering them.
      if (tested.size < MEMO_LIMIT) tested.set(message, positive);
    }
    if (positive) {
      forwarded++;
      visit?.(batch.eventAt(i));
    }
  }
  return forwarded;
}

function toObserver(forwarded: BloomForwardOptions['forwarded']): Partial<Observer<LogEvent>> {
  if (forwarded === undefined) return {};
  if (typeof forwarded === 'function') return { next: forwarded };
  // Bound so that class-based observers keep their `this`.
  return {
    next: forwarded.next?.bind(forwarded),
    error: forwarded.error?.bind(forwarded),
    complete: forwarded.complete?.bind(forwarded),
  };
}

function toRecord(filter: BloomFilter, state: BloomForwardState): BloomRecord {
  return {
    task: 'bloom',
    bits: filter.bits,
    hashes: filter.hashes,
    falsePositiveRate: filter.expectedFalsePositiveRate(),
    checked: state.checked,
    forwarded: state.forwarded,
    ratio: rate(state.forwarded, state.checked),
    batchChecked: state.batchChecked,
    batchForwarded: state.batchForwarded,
    batchRatio: rate(state.batchForwarded, state.batchChecked),
  };
}
