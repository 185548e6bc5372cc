/**
 * Who owns which partition, decided through a JetStream key-value bucket rather than by
 * code of ours: each worker of a group heartbeats a member key and each lease it holds;
 * a lease is taken with a compare-and-set on its revision, so two workers never both
 * succeed. Liveness is judged by each worker's own clock, from when it last saw a key
 * change: no two machines' clocks need agree.
 *
 * The partitions are spread over the live members in order of their ids (partition p to
 * member p mod n), so every worker computes the same assignment from the same view. A
 * worker claims a partition assigned to it once the lease is free, released, or not renewed
 * for the lease timeout (its owner died); it gives back, after storing its state, a partition
 * now assigned to another live member (one joined). Views differ only for a moment, and the
 * compare-and-set keeps one owner at a time throughout.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { leaseKey, memberKey } from './names.js';

/** What the worker does when it gains or must give up a partition. */
export interface LeaseHandlers {
  /** The partition is this worker's now: start consuming it. */
  readonly acquired: (partition: number) => void;
  /**
   * The partition is assigned elsewhere: stop, store its state, then call
   * {@link PartitionLeases.release}. Called once per hand-over.
   */
  readonly handOver: (partition: number) => void;
  /** The lease was lost (not renewed in time, taken): stop at once, store nothing. */
  readonly lost: (partition: number) => void;
  /** Told what went wrong with the leases (once per run of failed rounds), and what was done. */
  readonly say: (text: string) => void;
}

interface Seen {
  readonly revision: number;
  /** The owner a lease names, the worker a member key names; null once released or deleted. */
  readonly holder: string | null;
  /** This process's clock when the key last changed. */
  readonly at: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PartitionLeases {
  /** The revision of each lease this worker holds. */
  private readonly held = new Map<number, number>();
  private readonly handingOver = new Set<number>();
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private watching: { stop(): void } | undefined;
  /** This process's clock when the current watch was made. */
  private watchedSince = 0;
  /** Whether the last round failed: its reason is said once. */
  private failing = false;
  private stopped = false;
  private ticking = Promise.resolve();

  constructor(
    private readonly bucket: KV,
    private readonly group: string,
    readonly worker: string,
    private readonly partitions: number,
    private readonly timeoutMs: number,
    private readonly handlers: LeaseHandlers,
    private readonly now: () => number = Date.now,
  ) {}

  /** The partitions held now. */
  get owned(): number[] {
    return [...this.held.keys()];
  }

  /**
   * Joins the group: watches its keys, then heartbeats and rebalances every quarter timeout.
   * Called again after a failure, it goes on from the step that failed.
   */
  async start(): Promise<void> {
    // Called again after a failure: what is running already stays.
    if (this.watching === undefined) await this.watch();
    await this.beat();
    if (this.timer !== undefined) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), Math.max(50, this.timeoutMs / 4));
  }

  /** Gives `partition` back after a hand-over: its state is stored. */
  async release(partition: number): Promise<void> {
    const revision = this.held.get(partition);
    this.held.delete(partition);
    this.handingOver.delete(partition);
    if (revision === undefined) return;
    await this.bucket
      .update(leaseKey(this.group, partition), lease(null), revision)
      .catch(() => {}); // taken meanwhile, or the server is gone: the timeout frees it anyway
  }

  /** Leaves the group: stops heartbeating; the caller has released what it held. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.watching?.stop();
    await this.ticking;
    await this.bucket.delete(memberKey(this.group, this.worker)).catch(() => {});
  }

  private async watch(): Promise<void> {
    this.watching?.stop();
    this.watching = undefined;
    const watch = await this.bucket.watch({ key: `${this.group}.>` });
    this.watching = watch;
    this.watchedSince = this.now();
    void (async () => {
      try {
        for await (const entry of watch) this.observe(entry);
      } catch {
        // Ended by a failure: the next round watches again.
      }
      if (this.watching === watch) this.watching = undefined;
    })();
  }

  /**
   * Whether the watch stopped telling: this worker's own heartbeat, put every quarter
   * timeout, has not come through it for a whole timeout (its consumer lost with a server).
   * Members and leases would then look stale or free when they are not.
   */
  private watchIsStale(): boolean {
    if (this.watching === undefined) return true;
    const own = this.seen.get(memberKey(this.group, this.worker));
    const since = Math.max(own?.at ?? 0, this.watchedSince);
    return this.now() - since >= this.timeoutMs;
  }

  private observe(entry: KvWatchEntry): void {
    const previous = this.seen.get(entry.key);
    // A watch made again replays every key: an unchanged one keeps when it last changed,
    // so a dead owner's lease does not look renewed.
    if (previous !== undefined && previous.revision === entry.revision) return;
    const holder =
      entry.operation === 'PUT' && entry.value.length > 0
        ? ((JSON.parse(decoder.decode(entry.value)) as { holder?: string | null }).holder ?? null)
        : null;
    this.seen.set(entry.key, { revision: entry.revision, holder, at: this.now() });
  }

  private tick(): void {
    // One round at a time: a slow server must not pile rounds up.
    this.ticking = this.ticking.then(async () => {
      if (this.stopped) return;
      try {
        await this.beat();
        if (this.watchIsStale()) {
          this.handlers.say('watching the leases again (the watch stopped showing changes)');
          await this.watch();
        }
        await this.renew();
        await this.rebalance();
        if (this.failing) this.handlers.say('leases renewed again');
        this.failing = false;
      } catch (error) {
        // The server is away: the next round tries again; leases not renewed meanwhile
        // are lost by the checks in renew().
        if (!this.failing) {
          this.handlers.say(`cannot renew its leases yet (${(error as Error).message})`);
        }
        this.failing = true;
      }
    });
  }

  private async beat(): Promise<void> {
    await this.bucket.put(memberKey(this.group, this.worker), lease(this.worker));
  }

  private async renew(): Promise<void> {
    for (const [partition, revision] of this.held) {
      try {
        const next = await this.bucket.update(
          leaseKey(this.group, partition),
          lease(this.worker),
          revision,
        );
        if (this.held.has(partition)) this.held.set(partition, next);
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        this.held.delete(partition);
        this.handingOver.delete(partition);
        this.handlers.say(`partition ${partition} lost (another worker took its lease)`);
        this.handlers.lost(partition);
      }
    }
  }

  /** The live members' ids, sorted: this worker and every member key changed within the timeout. */
  private members(): string[] {
    const prefix = `${this.group}.member.`;
    const live = new Set([this.worker]);
    for (const [key, seen] of this.seen) {
      if (key.startsWith(prefix) && seen.holder !== null && this.isFresh(seen)) {
        live.add(seen.holder);
      }
    }
    return [...live].sort();
  }

  private isFresh(seen: Seen): boolean {
    return this.now() - seen.at < this.timeoutMs;
  }

  private async rebalance(): Promise<void> {
    const members = this.members();
    const alive = new Set(members);
    for (let partition = 0; partition < this.partitions; partition++) {
      const assignee = members[partition % members.length]!;
      if (this.held.has(partition)) {
        if (assignee !== this.worker && !this.handingOver.has(partition)) {
          this.handingOver.add(partition);
          this.handlers.handOver(partition);
        }
        continue;
      }
      if (assignee !== this.worker) continue;
      const key = leaseKey(this.group, partition);
      const seen = this.seen.get(key);
      const free =
        seen === undefined ||
        seen.holder === null ||
        !alive.has(seen.holder) ||
        !this.isFresh(seen);
      if (!free) continue;
      try {
        const revision =
          seen === undefined
            ? await this.bucket.create(key, lease(this.worker))
            : await this.bucket.update(key, lease(this.worker), seen.revision);
        this.held.set(partition, revision);
        this.handlers.acquired(partition);
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        // Someone else changed it first: the watch tells who, and the next round decides.
      }
    }
  }
}

function lease(holder: string | null): Uint8Array {
  return encoder.encode(JSON.stringify({ holder }));
}

/** The compare-and-set failed: the key is not at the revision (or exists, for a create). */
export function isWrongRevision(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error);
  return /wrong last sequence|key exists/i.test(text);
}
