export type { SourceStats } from '../source-stats.js';
export type { TaskOutput } from '../topology.js';
