export type { TaskOutput } from '../pipeline.js';
export type { SourceStats } from '../source-stats.js';
