import { Box } from 'ink';
import type { DashboardData } from '../feed.js';
import type { DashboardLayout, PanelSlot } from '../layout.js';
import { BloomPanel } from '../panels/bloom.js';
import { KeyedWindowsPanel } from '../panels/keyed-windows.js';
import { LazyGroupsPanel } from '../panels/lazy-groups.js';
import { ReservoirPanel } from '../panels/reservoir.js';
import { RunningAveragePanel } from '../panels/running-average.js';
import { SlidingWindowPanel } from '../panels/sliding-window.js';
import { PANEL_TITLES } from '../titles.js';
import { Panel } from './panel.js';

/** The six panels in the layout's grid, each in its slot. */
export function PanelGrid({
  layout,
  data,
  lateOutput,
}: {
  layout: DashboardLayout;
  data: DashboardData;
  /** The --late-output file, when there is one. */
  lateOutput?: string | undefined;
}) {
  return (
    <Box flexDirection="column" width={layout.width}>
      {layout.grid.map((row) => (
        <Box key={row.map((slot) => slot.id).join()} flexDirection="row" columnGap={layout.gap}>
          {row.map((slot) => (
            <Panel key={slot.id} slot={slot} title={PANEL_TITLES[slot.id]}>
              <PanelContent slot={slot} data={data} lateOutput={lateOutput} />
            </Panel>
          ))}
        </Box>
      ))}
    </Box>
  );
}

function PanelContent({
  slot,
  data,
  lateOutput,
}: {
  slot: PanelSlot;
  data: DashboardData;
  lateOutput: string | undefined;
}) {
  const size = { width: slot.contentWidth, rows: slot.contentRows };
  if (size.rows <= 0) return null;
  switch (slot.id) {
    case 'running-average':
      return <RunningAveragePanel record={data.runningAverage} {...size} />;
    case 'sliding-window':
      return (
        <SlidingWindowPanel record={data.slidingWindow} history={data.failureRates} {...size} />
      );
    case 'reservoir':
      return <ReservoirPanel record={data.reservoir} {...size} />;
    case 'bloom':
      return <BloomPanel record={data.bloom} forwarded={data.forwarded} {...size} />;
    case 'lazy-groups':
      return (
        <LazyGroupsPanel
          record={data.lazyGroups}
          batches={data.lazyBatches}
          throughput={data.lazyThroughput}
          {...size}
        />
      );
    case 'keyed-windows':
      return <KeyedWindowsPanel keyed={data.keyedWindows} lateOutput={lateOutput} {...size} />;
  }
}
