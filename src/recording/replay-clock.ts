import { VirtualAction, VirtualTimeScheduler } from 'rxjs';

/**
 * The clock of a replay: RxJS's virtual time, standing at the recording's milliseconds
 * (`time`), and telling the operators the epoch time the recorded run had then (`now()`:
 * the recording's start plus `time`), so records that carry a processing time (Task 2 with
 * `--clock processing`) read as the recorded run's did. Nothing runs until the replay moves
 * the clock on ({@link advanceTo}); then every timer due by then runs, in time order.
 */
export class ReplayClock extends VirtualTimeScheduler {
  /**
   * @param origin epoch milliseconds of the recording's start
   * @param start the recording's milliseconds the replay starts at (`--from`)
   */
  constructor(
    private readonly origin: number,
    start = 0,
  ) {
    super(VirtualAction);
    this.frame = start;
    this.now = () => this.origin + this.frame;
  }

  /** The recording's milliseconds the clock stands at. */
  get time(): number {
    return this.frame;
  }

  /** When the next timer is due (the recording's milliseconds), Infinity when none is set. */
  get nextDue(): number {
    return this.actions[0]?.delay ?? Number.POSITIVE_INFINITY;
  }

  /** Runs every timer due by `time`, in order, and stands at `time` (never goes back). */
  advanceTo(time: number): void {
    this.maxFrames = time;
    this.flush();
    this.frame = Math.max(this.frame, time);
  }
}
