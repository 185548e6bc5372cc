import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

/**
 * One screen line. It never wraps (a wrapped line would make the frame taller than planned)
 * and never shrinks: lines beyond a clipped box's height are cut off, not drawn over each
 * other.
 */
export function Line({ children, dim }: { children?: ReactNode; dim?: boolean }) {
  return (
    <Box flexShrink={0} height={1}>
      <Text wrap="truncate-end" dimColor={dim}>
        {children}
      </Text>
    </Box>
  );
}

/**
 * The items that fit in `rows` lines: all of them, or `rows - 1` of them and the count of
 * the rest, for a "+N more" line in the last row (`more` is 0 when there is no row for it).
 */
export function fitList<T>(
  items: readonly T[],
  rows: number,
): { shown: readonly T[]; more: number } {
  if (rows <= 0) return { shown: [], more: 0 };
  if (items.length <= rows) return { shown: items, more: 0 };
  return { shown: items.slice(0, rows - 1), more: items.length - (rows - 1) };
}

/** The "+N more" line under a cut list; nothing when nothing was cut. */
export function MoreLine({ more }: { more: number }) {
  return more > 0 ? <Line dim>{`… +${more} more`}</Line> : null;
}
