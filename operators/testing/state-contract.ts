/**
 * The operator contract kit: property checks that a mergeable state type (create, add,
 * merge, encode, and optionally decode) keeps the laws that checkpoints, `--save-state`,
 * `logstream merge` and scale-out rely on. Pure and dependency-free, so that it ships in the
 * package and runs in any test runner: a law's `check()` throws a {@link ContractViolation}
 * and returns nothing otherwise.
 */
import { EventBatch, NO_STATUS } from '../batch.js';
import { type Random, SeededRandom } from '../random.js';

/**
 * How an input may be split into parts whose states, merged, are the same as one state over
 * all of it (as {@link StateContract.project} sees them):
 * - `'any'`: the batches dealt to the parts at random (each batch whole, in input order
 *   within its part), the parts merged in any order and grouping (Tasks 1, 3, 4, 5);
 * - `'ordered'`: the batches cut into consecutive parts, merged in input order in any
 *   grouping, the input in time order across batches: no event of a batch is older than an
 *   event of an earlier batch, while inside a batch they may be in any order (Tasks 2, 6);
 * - `'services'`: each batch's events split by service (a service's events all in one
 *   part, a part's share of a batch one batch, none when empty), the parts merged in any
 *   order and grouping, the input in time order (within batches too, so nothing is late):
 *   the way scale-out partitions a stream (Tasks 2, 6).
 */
export type SplitKind = 'any' | 'ordered' | 'services';

/**
 * The order of timestamps in generated input: `'any'`; `'ordered'`, no event older than
 * an event of an earlier batch (any order inside a batch); `'sorted'`, also in order inside
 * each batch.
 */
export type BatchOrder = 'any' | 'ordered' | 'sorted';

/** A split that holds only for part of what a state shows: its own projection. */
export interface SplitRule<S> {
  readonly kind: SplitKind;
  /** What must be equal under this split; default: the contract's {@link StateContract.project}. */
  project?(state: S, emitted: readonly unknown[]): unknown;
}

/**
 * A state type as the kit sees it. Only `name` and `create` are required: the other methods
 * default to the state's own `add`, `merge` and `encode` (the shape of logstream's
 * `TaskState`, which the six tasks' states share).
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { stateLaws } from 'logstream/testing';
 *
 * describe('ErrorCountState laws', () => {
 *   for (const law of stateLaws({
 *     name: 'error-count',
 *     create: () => ErrorCountState.create(),
 *     decode: (encoded) => ErrorCountState.decode(encoded),
 *     splits: ['any', 'services'],
 *   })) {
 *     it(law.name, () => law.check());
 *   }
 * });
 * ```
 */
export interface StateContract<S> {
  /** Names the state type in violations. */
  readonly name: string;
  /**
   * A fresh, empty state, made alike each time: fixed options, and a fixed seed when the
   * state draws random numbers (the laws compare states made by separate calls).
   */
  create(): S;
  /**
   * Adds one batch in place. What it returns, when an array, is output the state emitted
   * and may no longer hold (Task 6's closed windows): the laws hand it to
   * {@link StateContract.project} with the state. Default: `state.add(batch)`.
   */
  add?(state: S, batch: EventBatch): unknown;
  /** A new state over both; default `a.merge(b)`. Must change neither input. */
  merge?(a: S, b: S): S;
  /**
   * The state as a JSON value: what it saves, and what the laws that need exact equality
   * compare (seeded determinism, round trip, unchanged inputs). Default `state.encode()`.
   */
  encode?(state: S): unknown;
  /** The state of `encoded` (after a trip through JSON text); when given, the round-trip law runs. */
  decode?(encoded: unknown): S;
  /**
   * What must be equal between two states that identity, associativity and split invariance
   * say are the same, given everything their adds emitted (in the order the laws fed them).
   * Default: the encoding. A state that is the same only in part says which part here (a
   * reservoir sample: `seen`, `size` and capacity, not which events it holds).
   */
  project?(state: S, emitted: readonly unknown[]): unknown;
  /** The splits that hold for this state type; default none. */
  readonly splits?: readonly (SplitKind | SplitRule<S>)[];
  /** Runs per law, each on its own input; default {@link DEFAULT_RUNS}. */
  readonly runs?: number;
  /** Seed of run 0; run `r` uses `seed + r`. Default {@link DEFAULT_SEED}. */
  readonly seed?: number;
  /**
   * The input of one run: batches drawn from `random` alone, in `order` (the splits that
   * need time order ask for it). Default: a few batches over a few services (some named
   * like `Object.prototype`'s fields), statuses of every class, `000` and none, and
   * messages that repeat.
   */
  batches?(random: Random, order: BatchOrder): EventBatch[];
}

/** One law of a contract: `check()` runs it and throws a {@link ContractViolation} when it fails. */
export interface Law {
  readonly name: string;
  check(): void;
}

/**
 * A state type broke a law: the message names the contract, the law, the run and the seed
 * that repeats it alone, and what differs (its first differing path and both values).
 */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';

  constructor(
    /** The contract's name. */
    readonly contract: string,
    /** The law's name, as in {@link Law.name}. */
    readonly law: string,
    /** The failing run, from 0. */
    readonly run: number,
    /** The seed of that run: `{ seed, runs: 1 }` repeats it alone. */
    readonly seed: number,
    /** What went wrong. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(
      `${contract}: ${law} fails on run ${run} (seed ${seed}; { seed: ${seed}, runs: 1 } repeats it alone): ${detail}`,
      options,
    );
  }
}

/** Runs per law unless a contract says otherwise: small enough for every test run. */
export const DEFAULT_RUNS = 30;
/** The seed of run 0 unless a contract says otherwise. */
export const DEFAULT_SEED = 20_251_600;

/**
 * The laws of `contract`, one {@link Law} each, in this order: identity, associativity,
 * split invariance for each declared split, seeded determinism, merge leaves its inputs
 * unchanged, the encode/decode round trip (when `decode` is given), and a JSON-safe encoding.
 * Each runs `contract.runs` times on generated input.
 */
export function stateLaws<S>(contract: StateContract<S>): Law[] {
  const kit = resolve(contract);
  const laws: Law[] = [
    law(kit, 'identity', (run) => {
      const a = run.fed(run.batches());
      const expected = kit.project(a.state, a.emitted);
      run.same(
        'a.merge(fresh) against a',
        kit.project(kit.merge(a.state, kit.create()), a.emitted),
        expected,
      );
      run.same(
        'fresh.merge(a) against a',
        kit.project(kit.merge(kit.create(), a.state), a.emitted),
        expected,
      );
    }),
    law(kit, 'associativity', (run) => {
      const [a, b, c] = [run.fed(run.batches()), run.fed(run.batches()), run.fed(run.batches())];
      const emitted = [...a.emitted, ...b.emitted, ...c.emitted];
      const left = kit.merge(kit.merge(a.state, b.state), c.state);
      const right = kit.merge(a.state, kit.merge(b.state, c.state));
      run.same('(a·b)·c against a·(b·c)', kit.project(left, emitted), kit.project(right, emitted));
    }),
  ];
  for (const rule of kit.splits) {
    laws.push(
      law(kit, `split invariance (${rule.kind})`, (run) => splitInvariance(kit, rule, run)),
    );
  }
  laws.push(
    law(kit, 'seeded determinism', (run) => {
      // Two inputs drawn alike rather than one shared: an add that changes its batch shows too.
      const seeds = [run.seed(), run.seed()] as const;
      const order = run.order();
      const [a1, a2] = [0, 0].map(() => run.fed(run.batches(order, seeds[0]))) as [Fed<S>, Fed<S>];
      run.same('two states fed alike', kit.encode(a1.state), kit.encode(a2.state));
      run.same('what two states fed alike emitted', a1.emitted, a2.emitted);
      const [b1, b2] = [0, 0].map(() => run.fed(run.batches(order, seeds[1]))) as [Fed<S>, Fed<S>];
      run.same(
        'merges of states fed alike',
        kit.encode(kit.merge(a1.state, b1.state)),
        kit.encode(kit.merge(a2.state, b2.state)),
      );
    }),
    law(kit, 'merge leaves its inputs unchanged', (run) => {
      // Now and then one side is fresh: merges often take a shortcut (a copy) there.
      const variant = run.runSeed % 4;
      const a = variant === 1 ? kit.create() : run.fed(run.batches()).state;
      const b = variant === 2 ? kit.create() : run.fed(run.batches()).state;
      const more = run.batches();
      const [ea, eb] = [kit.encode(a), kit.encode(b)];
      const merged = kit.merge(a, b);
      run.same('a after a.merge(b)', kit.encode(a), ea);
      run.same('b after a.merge(b)', kit.encode(b), eb);
      for (const batch of more) kit.add(merged, batch);
      run.same('a after adding to a.merge(b) (shared data)', kit.encode(a), ea);
      run.same('b after adding to a.merge(b) (shared data)', kit.encode(b), eb);
      const again = kit.merge(a, b);
      const before = kit.encode(again);
      for (const batch of more) kit.add(a, batch);
      for (const batch of more) kit.add(b, batch);
      run.same('a.merge(b) after adding to a and b (shared data)', kit.encode(again), before);
    }),
  );
  const { decode } = kit;
  if (decode !== undefined) {
    laws.push(
      law(kit, 'encode/decode round trip', (run) => {
        const s = run.fed(run.batches());
        const encoded = kit.encode(s.state);
        const decoded = decode(JSON.parse(JSON.stringify(encoded)));
        run.same('the decoded state, encoded again', kit.encode(decoded), encoded);
        run.same(
          'the decoded state against the original',
          kit.project(decoded, s.emitted),
          kit.project(s.state, s.emitted),
        );
        const t = run.fed(run.batches()).state;
        run.same(
          'the decoded state merged with another, against the original',
          kit.encode(kit.merge(decoded, t)),
          kit.encode(kit.merge(s.state, t)),
        );
        const more = run.batches();
        const emittedByDecoded = more.flatMap((batch) => kit.add(decoded, batch));
        const emittedByOriginal = more.flatMap((batch) => kit.add(s.state, batch));
        run.same(
          'what the decoded state emitted on, against the original',
          emittedByDecoded,
          emittedByOriginal,
        );
        run.same(
          'the decoded state fed on, against the original',
          kit.encode(decoded),
          kit.encode(s.state),
        );
      }),
    );
  }
  laws.push(
    law(kit, 'JSON-safe encoding', (run) => {
      const s = run.fed(run.batches()).state;
      const t = run.fed(run.batches()).state;
      const states: [string, S][] = [
        ['a fresh state', kit.create()],
        ['a fed state', s],
        ['a merged state', kit.merge(s, t)],
      ];
      for (const [what, state] of states) {
        const encoded = kit.encode(state);
        const text = JSON.stringify(encoded);
        if (text === undefined) run.fail(`the encoding of ${what} is not JSON (${show(encoded)})`);
        run.same(`the encoding of ${what} read back from JSON text`, JSON.parse(text!), encoded);
      }
    }),
  );
  return laws;
}

/**
 * Runs every law of `contract` ({@link stateLaws}) and throws the first violation.
 * @throws {ContractViolation}
 */
export function checkStateContract<S>(contract: StateContract<S>): void {
  for (const law of stateLaws(contract)) law.check();
}

/**
 * Where `actual` and `expected` first differ, as a path and both values
 * (`at .state.seen: 7 and 8`), or `undefined` when they are deeply equal: the same
 * primitives (by `Object.is`, so `-0` is not `0` and `NaN` is `NaN`), arrays and typed
 * arrays of the same type element by element, Maps and Sets by their entries, and objects
 * of the same prototype by their own enumerable keys (a key set to `undefined` is not a
 * missing key: JSON would drop it).
 */
export function firstDifference(actual: unknown, expected: unknown): string | undefined {
  return differ(actual, expected, '', new WeakMap());
}

/**
 * `values` in one canonical order (by their JSON with keys sorted), so that two lists that
 * hold the same values in different orders compare equal: for output whose order depends
 * on how the input was split (the windows each part emitted).
 */
export function unordered<T>(values: readonly T[]): T[] {
  const keyed = values.map((value) => ({ value, key: canonicalJson(value) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ value }) => value);
}

// ---------------------------------------------------------------------------------------

interface Fed<S> {
  readonly state: S;
  /** Everything its adds emitted, in order. */
  readonly emitted: unknown[];
}

/** A contract with every default filled in. */
interface Kit<S> {
  readonly name: string;
  readonly runs: number;
  readonly seed: number;
  create(): S;
  /** Adds a batch and returns what it emitted (nothing unless `add` returned an array). */
  add(state: S, batch: EventBatch): unknown[];
  merge(a: S, b: S): S;
  encode(state: S): unknown;
  readonly decode: ((encoded: unknown) => S) | undefined;
  project(state: S, emitted: readonly unknown[]): unknown;
  readonly splits: readonly Required<SplitRule<S>>[];
  batches(random: Random, order: BatchOrder): EventBatch[];
}

/** What a law's body works with during one run. */
interface Run<S> {
  /**
   * This run's seed: everything a run does depends on it alone (not on its index), so that
   * `{ seed, runs: 1 }` repeats it.
   */
  readonly runSeed: number;
  /** Uniform numbers of this run. */
  readonly random: Random;
  /** A seed drawn from this run's numbers. */
  seed(): number;
  /** The order of this run's general input: consecutive runs cycle through every order. */
  order(): BatchOrder;
  /** A new input: drawn from this run's numbers, or from `seed` alone. */
  batches(order?: BatchOrder, seed?: number): EventBatch[];
  /** A fresh state fed `batches` in order. */
  fed(batches: readonly EventBatch[]): Fed<S>;
  /** @throws when `actual` and `expected` differ, naming `what`. */
  same(what: string, actual: unknown, expected: unknown): void;
  fail(detail: string): never;
}

/** A law's verdict inside a run, turned into a {@link ContractViolation} by {@link law}. */
class Failure extends Error {}

function resolve<S>(contract: StateContract<S>): Kit<S> {
  const runs = contract.runs ?? DEFAULT_RUNS;
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new RangeError(`${contract.name}: runs must be an integer >= 1, got ${runs}`);
  }
  const own = (state: S, method: 'add' | 'merge' | 'encode') => {
    const fn = (state as { [name: string]: unknown } | null)?.[method];
    if (typeof fn !== 'function') {
      throw new TypeError(
        `${contract.name}: the contract has no ${method} and the state no ${method} method`,
      );
    }
    return fn as (...args: unknown[]) => unknown;
  };
  const encode =
    contract.encode?.bind(contract) ?? ((state: S) => own(state, 'encode').call(state));
  const project = contract.project?.bind(contract) ?? ((state: S) => encode(state));
  const add =
    contract.add?.bind(contract) ??
    ((state: S, batch: EventBatch) => own(state, 'add').call(state, batch));
  return {
    name: contract.name,
    runs,
    seed: contract.seed ?? DEFAULT_SEED,
    create: () => contract.create(),
    add: (state, batch) => {
      const out = add(state, batch);
      return Array.isArray(out) ? [...out] : [];
    },
    merge: contract.merge?.bind(contract) ?? ((a, b) => own(a, 'merge').call(a, b) as S),
    encode,
    decode: contract.decode?.bind(contract),
    project,
    splits: (contract.splits ?? []).map((rule) => {
      const { kind, project: own } =
        typeof rule === 'string' ? { kind: rule, project: undefined } : rule;
      return { kind, project: own?.bind(rule) ?? project };
    }),
    batches: contract.batches?.bind(contract) ?? generateBatches,
  };
}

const ORDERS: readonly BatchOrder[] = ['any', 'ordered', 'sorted'];

function law<S>(kit: Kit<S>, name: string, body: (run: Run<S>) => void): Law {
  return {
    name,
    check() {
      for (let index = 0; index < kit.runs; index++) {
        const seed = (kit.seed + index) >>> 0;
        const random = randomOf(seed);
        const run: Run<S> = {
          runSeed: seed,
          random,
          seed: () => Math.floor(random() * 0x1_0000_0000),
          order: () => ORDERS[seed % ORDERS.length]!,
          batches: (order = run.order(), from) =>
            kit.batches(from === undefined ? random : randomOf(from), order),
          fed: (batches) => {
            const state = kit.create();
            return { state, emitted: batches.flatMap((batch) => kit.add(state, batch)) };
          },
          same: (what, actual, expected) => {
            const difference = firstDifference(actual, expected);
            if (difference !== undefined) throw new Failure(`${what}: differ ${difference}`);
          },
          fail: (detail) => {
            throw new Failure(detail);
          },
        };
        try {
          body(run);
        } catch (error) {
          if (error instanceof Failure) {
            throw new ContractViolation(kit.name, name, index, seed, error.message);
          }
          if (error instanceof ContractViolation) throw error;
          throw new ContractViolation(
            kit.name,
            name,
            index,
            seed,
            `threw ${describeError(error)}`,
            {
              cause: error,
            },
          );
        }
      }
    },
  };
}

function randomOf(seed: number): Random {
  const generator = SeededRandom.fromSeed(seed);
  return () => generator.next();
}

/** One part of a split input: its batches, and what it holds (for messages). */
interface Part {
  readonly label: string;
  readonly batches: EventBatch[];
}

function batchesPart(batches: readonly EventBatch[], indexes: readonly number[]): Part {
  return { label: `batches [${indexes.join(', ')}]`, batches: indexes.map((i) => batches[i]!) };
}

// What input each split is tried on, run after run: the splits that need time order get it.
const SPLIT_ORDERS: { readonly [kind in SplitKind]: readonly BatchOrder[] } = {
  any: ORDERS,
  ordered: ['ordered', 'sorted'],
  // In order inside batches too: a part must not judge an event late that one run would not.
  services: ['sorted'],
};

function splitInvariance<S>(kit: Kit<S>, rule: Required<SplitRule<S>>, run: Run<S>): void {
  const { random } = run;
  const orders = SPLIT_ORDERS[rule.kind];
  const order = orders[run.runSeed % orders.length]!;
  const batches = run.batches(order);
  const count = 2 + Math.floor(random() * 3);
  let parts: Part[];
  if (rule.kind === 'ordered') {
    const cuts = Array.from({ length: count - 1 }, () =>
      Math.floor(random() * (batches.length + 1)),
    );
    cuts.sort((a, b) => a - b);
    parts = [...cuts, batches.length].map((end, i) => {
      const start = i === 0 ? 0 : cuts[i - 1]!;
      return batchesPart(
        batches,
        Array.from({ length: end - start }, (_, k) => start + k),
      );
    });
  } else if (rule.kind === 'any') {
    const dealt = Array.from({ length: count }, () => [] as number[]);
    for (let i = 0; i < batches.length; i++) dealt[Math.floor(random() * count)]!.push(i);
    parts = dealt.map((indexes) => batchesPart(batches, indexes));
  } else {
    parts = byService(batches, count, random);
  }
  // Order-free splits merge in any order; ordered ones keep theirs. Either way, any grouping.
  const merging =
    rule.kind === 'ordered'
      ? parts.map((part, i) => ({ part, i }))
      : shuffle(
          parts.map((part, i) => ({ part, i })),
          random,
        );
  const nodes = merging.map(({ part, i }) => ({ ...run.fed(part.batches), expression: `p${i}` }));
  while (nodes.length > 1) {
    const at = Math.floor(random() * (nodes.length - 1));
    const [left, right] = [nodes[at]!, nodes[at + 1]!];
    nodes.splice(at, 2, {
      state: kit.merge(left.state, right.state),
      emitted: [...left.emitted, ...right.emitted],
      expression: `(${left.expression}·${right.expression})`,
    });
  }
  const merged = nodes[0]!;
  const whole = run.fed(batches);
  const described = parts.map((part, i) => `p${i}: ${part.label}`).join('; ');
  run.same(
    `${batches.length} ${order} batches split into ${described}; merged as ${merged.expression}, against one state over all`,
    rule.project(merged.state, merged.emitted),
    rule.project(whole.state, whole.emitted),
  );
}

/** Each service's events dealt to one of `count` parts, batch by batch. */
function byService(batches: readonly EventBatch[], count: number, random: Random): Part[] {
  const partOf = new Map<string, number>();
  for (const batch of batches) {
    for (const name of batch.serviceNames) {
      if (!partOf.has(name)) partOf.set(name, Math.floor(random() * count));
    }
  }
  return Array.from({ length: count }, (_, p) => {
    const services = [...partOf].filter(([, part]) => part === p).map(([name]) => name);
    const own = new Set(services);
    const shares: EventBatch[] = [];
    for (const batch of batches) {
      const keep: number[] = [];
      for (let i = 0; i < batch.length; i++) if (own.has(batch.service(i))) keep.push(i);
      if (keep.length === 0) continue;
      shares.push(
        EventBatch.fromColumns(
          keep.map((i) => batch.service(i)),
          Float64Array.from(keep, (i) => batch.times[i]!),
          Uint16Array.from(keep, (i) => batch.statuses[i]!),
          keep.map((i) => batch.message(i)),
          batch.events === undefined ? undefined : keep.map((i) => batch.events![i]),
        ),
      );
    }
    return { label: `services ${JSON.stringify(services)}`, batches: shares };
  });
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// The default input. Names of Object.prototype's fields catch states keyed by plain objects.
const SERVICES = ['api', 'db', 'auth', 'web', 'queue', '__proto__', 'constructor'];
// Every class, and 000 (a status of no class).
const STATUSES = [200, 201, 204, 302, 404, 429, 500, 503, 0];
const MESSAGES_WITHOUT_STATUS = ['no code here', 'cache miss', 'connection reset'];
const BASE_TIME = 1_700_000_000;
const SPANS = [0, 1, 5, 20, 45];
const GAPS = [0, 0.5, 3, 12, 40];

/**
 * Up to 6 batches of up to 24 events (now and then none) over 1 to 5 services, 1 in 5
 * events without a status, times on half seconds: batches span up to 45 s and follow each
 * other by up to 40 s, so windows of seconds to a minute open, close and hold late events.
 */
function generateBatches(random: Random, order: BatchOrder): EventBatch[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const services = shuffle([...SERVICES], random).slice(0, 1 + Math.floor(random() * 5));
  const batches: EventBatch[] = [];
  let cursor = BASE_TIME + Math.floor(random() * 60);
  const count = Math.floor(random() * 7);
  for (let b = 0; b < count; b++) {
    const length = random() < 0.1 ? 0 : 1 + Math.floor(random() * 24);
    const span = pick(SPANS);
    const times = Float64Array.from({ length }, () =>
      order === 'any' ? BASE_TIME + halves(random() * 300) : cursor + halves(random() * span),
    );
    if (order === 'sorted') times.sort();
    if (order !== 'any') cursor = Math.max(cursor, ...times) + pick(GAPS);
    const statuses = Uint16Array.from({ length }, () =>
      random() < 0.2 ? NO_STATUS : pick(STATUSES),
    );
    const messages = Array.from(statuses, (status) =>
      status === NO_STATUS
        ? pick(MESSAGES_WITHOUT_STATUS)
        : `HTTP Status Code: ${String(status).padStart(3, '0')}`,
    );
    batches.push(
      EventBatch.fromColumns(
        Array.from({ length }, () => pick(services)),
        times,
        statuses,
        messages,
      ),
    );
  }
  return batches;
}

function halves(seconds: number): number {
  return Math.round(seconds * 2) / 2;
}

// ---------------------------------------------------------------------------------------

function differ(
  actual: unknown,
  expected: unknown,
  path: string,
  seen: WeakMap<object, WeakSet<object>>,
): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  const at = path === '' ? 'the top' : path;
  const both = `at ${at}: ${show(actual)} and ${show(expected)}`;
  if (
    typeof actual !== 'object' ||
    typeof expected !== 'object' ||
    actual === null ||
    expected === null
  ) {
    return both;
  }
  if (!samePrototype(actual, expected)) return both;
  // Values that refer to themselves: a pair already being compared is not compared again.
  const pairs = seen.get(actual) ?? new WeakSet();
  if (pairs.has(expected)) return undefined;
  pairs.add(expected);
  seen.set(actual, pairs);
  if (ArrayBuffer.isView(actual)) {
    const [a, e] = [elementsOf(actual), elementsOf(expected as ArrayBufferView)];
    if (a.length !== e.length) return `at ${at}: length ${a.length} and ${e.length}`;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], e[i])) return `at ${path}[${i}]: ${show(a[i])} and ${show(e[i])}`;
    }
    return undefined;
  }
  if (Array.isArray(actual)) {
    const e = expected as unknown[];
    if (actual.length !== e.length) return `at ${at}: length ${actual.length} and ${e.length}`;
    for (let i = 0; i < actual.length; i++) {
      const found = differ(actual[i], e[i], `${path}[${i}]`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (actual instanceof Map) {
    const e = expected as Map<unknown, unknown>;
    for (const key of actual.keys())
      if (!e.has(key)) return `at ${path}.get(${show(key)}): ${show(actual.get(key))} and missing`;
    for (const key of e.keys())
      if (!actual.has(key)) return `at ${path}.get(${show(key)}): missing and ${show(e.get(key))}`;
    for (const [key, value] of actual) {
      const found = differ(value, e.get(key), `${path}.get(${show(key)})`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (actual instanceof Set) {
    const e = expected as Set<unknown>;
    for (const item of actual) if (!e.has(item)) return `at ${at}: ${show(item)} in the first only`;
    for (const item of e)
      if (!actual.has(item)) return `at ${at}: ${show(item)} in the second only`;
    return undefined;
  }
  if (actual instanceof Date)
    return differ(actual.getTime(), (expected as Date).getTime(), path, seen);
  const a = actual as { readonly [key: string]: unknown };
  const e = expected as { readonly [key: string]: unknown };
  for (const key of Object.keys(a)) {
    if (!Object.hasOwn(e, key)) return `at ${path}${keyPath(key)}: ${show(a[key])} and missing`;
  }
  for (const key of Object.keys(e)) {
    if (!Object.hasOwn(a, key)) return `at ${path}${keyPath(key)}: missing and ${show(e[key])}`;
  }
  for (const key of Object.keys(a)) {
    const found = differ(a[key], e[key], `${path}${keyPath(key)}`, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function samePrototype(a: object, b: object): boolean {
  const [pa, pb] = [Object.getPrototypeOf(a), Object.getPrototypeOf(b)];
  // A null-prototype object is as plain as `{}`.
  const plain = (p: unknown) => p === null || p === Object.prototype;
  return pa === pb || (plain(pa) && plain(pb));
}

function elementsOf(view: ArrayBufferView): ArrayLike<unknown> {
  return view instanceof DataView
    ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    : (view as unknown as ArrayLike<unknown>);
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A value for a message: JSON-like, short, and telling apart what JSON would not. */
function show(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'number') text = Object.is(value, -0) ? '-0' : String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'function') text = `a function ${value.name}`.trimEnd();
  else if (typeof value === 'symbol') text = value.toString();
  else if (ArrayBuffer.isView(value)) {
    text = `${value.constructor.name} [${Array.from(elementsOf(value), (v) => String(v)).join(', ')}]`;
  } else {
    try {
      text =
        JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ??
        String(value);
    } catch {
      text = String(value);
    }
    const name = value === null ? undefined : (value as object).constructor?.name;
    if (typeof value === 'object' && name !== undefined && name !== 'Object' && name !== 'Array') {
      text = `${name} ${text}`;
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error);
}

function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_, v: unknown) => {
      if (ArrayBuffer.isView(v)) return Array.from(elementsOf(v));
      if (v instanceof Map) return [...v];
      if (v instanceof Set) return [...v];
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        return Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        );
      }
      return v;
    }) ?? 'undefined'
  );
}
