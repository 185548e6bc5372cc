import { escapeForTerminal } from '../terminal-text.js';

/**
 * A line on stderr about what a scale-out process did (a partition taken over, events
 * published): not a problem, and never on stdout, which carries records only. Escaped,
 * since it may quote a server's error text.
 */
export function notice(text: string): void {
  process.stderr.write(`logstream: ${escapeForTerminal(text, 640)}\n`);
}
