import { type SchedulerLike, VirtualAction, VirtualTimeScheduler } from 'rxjs';

/**
 * The clock of a replay: RxJS's virtual time, standing at the recording's milliseconds
 * (`time`), and telling the operators the epoch time the recorded run had then (`now()`:
 * the recording's start plus `time`), so records that carry a processing time (Task 2 with
 * `--clock processing`) read as the recorded run's did. Nothing runs until the replay moves
 * the clock on.
 *
 * Each task's operator has a lane of its own ({@link schedulerFor}). A lane whose ticks the
 * recording holds (`ticked`: the recorded run's timers, shaped as the replay's are) fires its
 * timers only at those ticks ({@link tick}), the earliest first, as the recorded run's fired;
 * any other lane fires each timer when it is due ({@link advanceTo}).
 */
export class ReplayClock {
  private readonly lanes = new Map<string, Lane>();
  private frame: number;

  /**
   * @param origin epoch milliseconds of the recording's start
   * @param start the recording's milliseconds the replay starts at (`--from`)
   * @param ticked the tasks whose timers fire at the recording's ticks
   */
  constructor(
    readonly origin: number,
    start = 0,
    private readonly ticked: ReadonlySet<string> = new Set(),
  ) {
    this.frame = start;
  }

  /** The recording's milliseconds the clock stands at. */
  get time(): number {
    return this.frame;
  }

  /** Epoch milliseconds the recorded run had at {@link time}. */
  now(): number {
    return this.origin + this.frame;
  }

  /** The scheduler of `task`'s operator. */
  schedulerFor(task: string): SchedulerLike {
    let lane = this.lanes.get(task);
    if (lane === undefined) {
      lane = new Lane(this);
      lane.frame = this.frame;
      this.lanes.set(task, lane);
    }
    return lane;
  }

  /** When the next timer fired by due time is due (the recording's ms), Infinity when none is. */
  get nextDue(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const [task, lane] of this.lanes) {
      if (!this.ticked.has(task)) due = Math.min(due, lane.actions[0]?.delay ?? due);
    }
    return due;
  }

  /** Fires every timer due by `time` (lanes not ticked), in time order, and stands at `time`. */
  advanceTo(time: number): void {
    for (let due = this.nextDue; due <= time; due = this.nextDue) {
      for (const [task, lane] of this.lanes) {
        if (this.ticked.has(task) || (lane.actions[0]?.delay ?? Infinity) > due) continue;
        this.standAt(due);
        lane.maxFrames = due;
        lane.flush();
      }
    }
    this.standAt(Math.max(this.frame, time));
  }

  /** The recorded run fired a timer of `task` at `at`: fires that lane's earliest timer then. */
  tick(task: string, at: number): void {
    const lane = this.lanes.get(task);
    if (lane === undefined || !this.ticked.has(task)) return;
    this.standAt(Math.max(this.frame, at));
    lane.fireFirst();
  }

  private standAt(time: number): void {
    this.frame = time;
    for (const lane of this.lanes.values()) lane.frame = time;
  }
}

/** One task's timers on a replay's clock. */
class Lane extends VirtualTimeScheduler {
  constructor(clock: ReplayClock) {
    super(VirtualAction);
    this.now = () => clock.origin + this.frame;
  }

  /** Fires the earliest timer now, whenever it was due. */
  fireFirst(): void {
    const action = this.actions.shift();
    if (action === undefined) return;
    const error = action.execute(action.state, action.delay);
    if (error) throw error;
  }
}
