import type { ParsedEvent } from '../../operators/event.js';
import { validateEvent } from '../../operators/event.js';

/** Where an invalid value stood: an array index or a line number, for the report. */
export type Position = { readonly index: number } | { readonly line: number };

export interface InvalidValue {
  readonly reason: string;
  readonly position: Position;
}

/** Accumulates the valid events of a batch and the reasons of the invalid ones. */
export class BatchCollector {
  readonly events: ParsedEvent[] = [];
  readonly invalid: InvalidValue[] = [];

  add(value: unknown, position: Position): void {
    const result = validateEvent(value);
    if (result.ok) this.events.push(result.event);
    else this.invalid.push({ reason: result.reason, position });
  }

  reject(reason: string, position: Position): void {
    this.invalid.push({ reason, position });
  }
}

/**
 * One line per reason: `3 invalid events: missing timestamp (lines 2, 5, 9)`, so a file
 * with thousands of bad events does not flood stderr.
 */
export function summarizeInvalid(
  invalid: readonly InvalidValue[],
): { reason: string; count: number }[] {
  const byReason = new Map<string, InvalidValue[]>();
  for (const value of invalid) {
    const group = byReason.get(value.reason);
    if (group) group.push(value);
    else byReason.set(value.reason, [value]);
  }
  return [...byReason].map(([reason, values]) => {
    const shown = values
      .slice(0, 5)
      .map(({ position }) => ('line' in position ? position.line : position.index));
    const unit = 'line' in values[0]!.position ? 'line' : 'index';
    const more = values.length > shown.length ? ', …' : '';
    const where = `${unit}${shown.length > 1 ? (unit === 'line' ? 's' : 'es') : ''} ${shown.join(', ')}${more}`;
    const noun = values.length === 1 ? 'invalid event' : 'invalid events';
    return { reason: `${values.length} ${noun}: ${reason} (${where})`, count: values.length };
  });
}

/** The notice for text with invalid UTF-8: nothing is lost, the bad bytes read as U+FFFD. */
export function badUtf8Reason(lines?: readonly number[]): string {
  const where = lines === undefined ? '' : ` on line ${lines.slice(0, 5).join(', ')}`;
  return `invalid UTF-8${where}, read with U+FFFD in place of the bad bytes`;
}
