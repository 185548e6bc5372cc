export type { ReplaySpeed, ReplayStatus } from '../recording/replay-pace.js';
export type { SourceStats } from '../source-stats.js';
export type { TaskOutput } from '../topology.js';

import type { Observable } from 'rxjs';
import type { ReplayStatus } from '../recording/replay-pace.js';

/** What the dashboard drives of a replay (`logstream replay <file> --dashboard`). */
export interface ReplayControls {
  /** Where the replay stands, as it changes. */
  readonly status: Observable<ReplayStatus>;
  togglePause(): void;
  step(): void;
  faster(): void;
  slower(): void;
  /** False when `time` (ms into the recording) is already past. */
  jumpTo(time: number): boolean;
}
