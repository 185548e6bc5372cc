import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { PanelSlot } from '../layout.js';

/**
 * A panel's frame at its slot's exact size: the title on the first line, the content below,
 * a border when the slot has room for one. Content that would not fit is clipped, never
 * allowed to push the frame taller.
 */
export function Panel({
  slot,
  title,
  children,
}: {
  slot: PanelSlot;
  title: string;
  children?: ReactNode;
}) {
  return (
    <Box
      flexDirection="column"
      width={slot.width}
      height={slot.height}
      flexShrink={0}
      overflow="hidden"
      borderStyle={slot.bordered ? 'round' : undefined}
      paddingX={slot.bordered ? 1 : 0}
    >
      <Text bold color="cyan" wrap="truncate-end">
        {title}
      </Text>
      <Box flexDirection="column" height={slot.contentRows} overflow="hidden">
        {children}
      </Box>
    </Box>
  );
}
