import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { BehaviorSubject } from 'rxjs';
import type { ReplayClock } from './replay-clock.js';

/** How fast a replay goes: a multiple of the recorded pace, or as fast as the machine allows. */
export type ReplaySpeed = number | 'max';

/** Where a replay stands, for the dashboard's header. */
export interface ReplayStatus {
  /** The recording's milliseconds the replay stands at. */
  readonly time: number;
  readonly speed: ReplaySpeed;
  readonly paused: boolean;
}

/** The slowest and fastest speeds `faster` and `slower` go to. */
const SLOWEST = 1 / 64;
const FASTEST = 1024;

/**
 * Moves a replay's clock through the recording at its speed, in real time: at speed 2, ten
 * recorded seconds take five. Whatever the speed, the clock stops at every timer and every
 * frame in order, so the records are the same at any speed: only the waiting between them
 * changes. Paused, the clock stands still; a step runs to the next batch and pauses again; a
 * jump runs as fast as it can up to a later time, then goes on at the speed.
 */
export class ReplayPace {
  private paused = false;
  private stepping = false;
  private jumpTarget: number | undefined;
  // The real time and the recording's time at the last change of pace: where waits count from.
  private anchorReal = performance.now();
  private anchorTime: number;
  private wake: () => void = () => {};
  /** The replay's time, speed and pause, as they change. */
  readonly status: BehaviorSubject<ReplayStatus>;

  constructor(
    /** The clock it moves (the replay source fires the recorded ticks on it). */
    readonly clock: ReplayClock,
    private speed: ReplaySpeed,
  ) {
    this.anchorTime = clock.time;
    this.status = new BehaviorSubject(this.current());
  }

  /**
   * Moves the clock to `time` (the recording's milliseconds), running the timers due on the
   * way, each when the speed says it is due. Resolves at `time`, or early once `stopped()`.
   */
  async until(time: number, stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const next = Math.min(this.clock.nextDue, time);
      if (!(await this.waitFor(next))) continue;
      this.clock.advanceTo(next);
      this.publish();
      if (next >= time) return;
    }
  }

  /** Told after each batch is handed on: a step ends there. */
  batchDone(): void {
    if (!this.stepping) return;
    this.stepping = false;
    this.paused = true;
    this.changed();
  }

  /** Wakes a waiting replay, so that it sees it was stopped. */
  interrupt(): void {
    this.changed();
  }

  /** Pauses a running replay, resumes a paused one. */
  togglePause(): void {
    this.paused = !this.paused;
    this.stepping = false;
    this.changed();
  }

  /** Runs to the next batch, at once, and pauses there. */
  step(): void {
    this.paused = false;
    this.stepping = true;
    this.changed();
  }

  /** Twice the speed (from `max`: stays). */
  faster(): void {
    if (this.speed !== 'max') this.speed = Math.min(FASTEST, this.speed * 2);
    this.changed();
  }

  /** Half the speed (from `max`: the fastest paced speed). */
  slower(): void {
    this.speed = this.speed === 'max' ? FASTEST : Math.max(SLOWEST, this.speed / 2);
    this.changed();
  }

  /**
   * Runs as fast as possible up to `time` (the recording's milliseconds), then on at the
   * speed. False when `time` is already past: a replay cannot go back.
   */
  jumpTo(time: number): boolean {
    if (time <= this.clock.time) return false;
    this.jumpTarget = time;
    this.paused = false;
    this.changed();
    return true;
  }

  /**
   * Waits until the clock may move to `next`: true then, false when the pace changed while
   * waiting (the caller looks again).
   */
  private async waitFor(next: number): Promise<boolean> {
    if (this.paused) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      return false;
    }
    if (this.jumpTarget !== undefined) {
      if (next <= this.jumpTarget) {
        await nextTurn();
        return true;
      }
      this.jumpTarget = undefined;
      this.anchor();
    }
    if (this.speed === 'max' || this.stepping) {
      // One turn of the event loop: the output drains and the keys are read as it goes.
      await nextTurn();
      return true;
    }
    const wait = this.anchorReal + (next - this.anchorTime) / this.speed - performance.now();
    if (wait <= 0) {
      await nextTurn();
      return true;
    }
    const controller = new AbortController();
    const woken = new Promise<false>((resolve) => {
      this.wake = () => resolve(false);
    });
    const slept = sleep(wait, true, { signal: controller.signal }).catch(() => false);
    const arrived = await Promise.race([slept, woken]);
    controller.abort();
    return arrived;
  }

  /** A change of pace: waits count from now, and a waiting replay looks again. */
  private changed(): void {
    this.anchor();
    this.publish();
    const wake = this.wake;
    this.wake = () => {};
    wake();
  }

  private anchor(): void {
    this.anchorReal = performance.now();
    this.anchorTime = this.clock.time;
  }

  private publish(): void {
    this.status.next(this.current());
  }

  private current(): ReplayStatus {
    return { time: this.clock.time, speed: this.speed, paused: this.paused };
  }
}
