import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Recorder } from './recorder.js';

/**
 * The clock of a recorded run's processing-time features (Task 2's panes with `--clock
 * processing`, the idle flushes of Tasks 5 and 6): RxJS's `asyncScheduler`, except that
 * while a batch is being processed, or a timer runs, it stands at the time the recording
 * stamped on that batch or on that timer's tick. So every time an operator reads is in the
 * recording, and a replay, which tells the operators those times and fires each task's
 * timers at its recorded ticks, decides as the recorded run did, whatever the machine's
 * timers did in between.
 */
export class RecordedClock {
  private standing: number | undefined;
  /** Set once the recording is open (after the tasks are built): until then, no tick. */
  recorder: Recorder | undefined;

  /** Epoch milliseconds: the stamped time while one stands, the wall clock otherwise. */
  readonly now = (): number => this.standing ?? Date.now();

  /** Runs `work` with the clock standing at `at` (milliseconds since the recording's start). */
  standAt<T>(at: number, work: () => T): T {
    if (this.recorder === undefined) return work();
    const before = this.standing;
    this.standing = this.recorder.startedAt + at;
    try {
      return work();
    } finally {
      this.standing = before;
    }
  }

  /** The scheduler of `task`'s operator: `asyncScheduler`'s timers, each firing recorded as a tick. */
  schedulerFor(task: string): SchedulerLike {
    const clock = this;
    return {
      now: this.now,
      schedule<T>(
        work: (this: SchedulerAction<T>, state?: T) => void,
        delay?: number,
        state?: T,
      ): Subscription {
        // The action keeps this function as its work: a timer that schedules itself again
        // (a periodic pane, an idle timer re-armed) is ticked each time it fires.
        return asyncScheduler.schedule(
          function (this: SchedulerAction<T>, given?: T) {
            const at = clock.recorder?.tick(task);
            if (at === undefined) work.call(this, given);
            else clock.standAt(at, () => work.call(this, given));
          },
          delay,
          state,
        );
      },
    };
  }
}
