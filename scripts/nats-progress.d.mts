// Types of scripts/nats-progress.mjs, for the TypeScript tests that import it.

/** The events in the stream LOGSTREAM; -1 while that cannot be known. */
export function streamEvents(url: string): Promise<number>;

/** Whether every partition's stored state of `group` covers the partition's last event. */
export function caughtUp(url: string, group: string): Promise<boolean>;

/** One line per partition of `group` behind the stream: sequences, lease holder, consumers. */
export function lagging(url: string, group: string): Promise<string[]>;
