import { Box } from 'ink';
import type { DashboardData } from '../feed.js';
import type { DashboardLayout, PanelSlot } from '../layout.js';
import { BloomPanel } from '../panels/bloom.js';
import { KeyedWindowsPanel } from '../panels/keyed-windows.js';
import { LazyGroupsPanel } from '../panels/lazy-groups.js';
import { ReservoirPanel } from '../panels/reservoir.js';
import { RunningAveragePanel } from '../panels/running-average.js';
import { SlidingWindowPanel } from '../panels/sliding-window.js';
import type { ServiceView } from '../service-view.js';
import { PANEL_TITLES } from '../titles.js';
import { Panel } from './panel.js';

/** What every panel is drawn from. */
interface PanelInputs {
  readonly data: DashboardData;
  /** The services as the keys left them: the same list in every panel. */
  readonly view: ServiceView;
  /** The --late-output file, when there is one. */
  readonly lateOutput?: string | undefined;
  /** Task 6's slide, seconds. */
  readonly keyedSlideSeconds?: number | undefined;
  /** Task 5's `--group-every`, seconds. */
  readonly groupEverySeconds?: number | undefined;
}

/** The six panels in the layout's grid, each in its slot. */
export function PanelGrid({ layout, ...inputs }: PanelInputs & { layout: DashboardLayout }) {
  return (
    <Box flexDirection="column" width={layout.width}>
      {layout.grid.map((row) => (
        <Box key={row.map((slot) => slot.id).join()} flexDirection="row" columnGap={layout.gap}>
          {row.map((slot) => (
            <Panel key={slot.id} slot={slot} title={PANEL_TITLES[slot.id]}>
              <PanelContent slot={slot} {...inputs} />
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
  view,
  lateOutput,
  keyedSlideSeconds,
  groupEverySeconds,
}: PanelInputs & { slot: PanelSlot }) {
  const size = { width: slot.contentWidth, rows: slot.contentRows };
  if (size.rows <= 0) return null;
  switch (slot.id) {
    case 'running-average':
      return <RunningAveragePanel record={data.runningAverage} view={view} {...size} />;
    case 'sliding-window':
      return (
        <SlidingWindowPanel
          record={data.slidingWindow}
          history={data.failureRates}
          view={view}
          {...size}
        />
      );
    case 'reservoir':
      return <ReservoirPanel record={data.reservoir} {...size} />;
    case 'bloom':
      return (
        <BloomPanel record={data.bloom} forwarded={data.forwarded} filter={view.filter} {...size} />
      );
    case 'lazy-groups':
      return (
        <LazyGroupsPanel
          record={data.lazyGroups}
          batches={data.lazyBatches}
          throughput={data.lazyThroughput}
          throughputHistory={data.lazyThroughputHistory}
          view={view}
          bucketSeconds={groupEverySeconds}
          {...size}
        />
      );
    case 'keyed-windows':
      return (
        <KeyedWindowsPanel
          keyed={data.keyedWindows}
          anomalies={data.anomalies}
          view={view}
          slideSeconds={keyedSlideSeconds}
          lateOutput={lateOutput}
          {...size}
        />
      );
  }
}
