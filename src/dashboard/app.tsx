import { Box } from 'ink';
import { useMemo, useRef } from 'react';
import type { Observable } from 'rxjs';
import type { LogEvent } from '../../operators/event.js';
import { Footer } from './components/footer.js';
import { Header } from './components/header.js';
import { Help } from './components/help.js';
import { PanelGrid } from './components/panel-grid.js';
import { selectedIndex } from './dashboard-keys.js';
import { dashboardFeed, initialDashboardData } from './feed.js';
import { useDashboardKeys } from './hooks/use-dashboard-keys.js';
import { useReplayControls } from './hooks/use-replay-controls.js';
import { useSampled } from './hooks/use-sampled.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { computeLayout, listRowsOf } from './layout.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './levels.js';
import { ServiceOrder, worstService } from './service-order.js';

import type { ServiceView } from './service-view.js';
import type { ReplayControls, SourceStats, TaskOutput } from './types.js';
import { AnomaliesView } from './views/anomalies.js';
import { DetailView } from './views/detail.js';

export type { SourceStats, TaskOutput } from './types.js';

export interface DashboardProps {
  /** What the header shows as the source. */
  source: string;
  /** Every record of every task, as the pipeline emits them. */
  outputs: Observable<TaskOutput>;
  /** Source progress, emitted whenever it changes. */
  stats: Observable<SourceStats>;
  /** Events the Bloom filter forwarded. */
  forwarded: Observable<LogEvent>;
  /** The file late events go to (`--late-output`), named in the Keyed windows panel. */
  lateOutput?: string | undefined;
  /** Task 6's slide in seconds: the time grid of its heat strips. */
  keyedSlideSeconds?: number | undefined;
  /** Task 5's `--group-every` in seconds: the time grid of its bucket strips. */
  groupEverySeconds?: number | undefined;
  /** When a failure rate is coloured as a warning or as critical. */
  thresholds?: Thresholds;
  /** Called on `q` and Ctrl-C. */
  onQuit: () => void;
  /** How often the screen samples the streams, ms (default 100: at most ten redraws a second). */
  sampleIntervalMs?: number;
  /** The replay the dashboard shows (`logstream replay --dashboard`): its keys and status. */
  replay?: ReplayControls;
}

const INITIAL_DATA = initialDashboardData();

/**
 * The live dashboard: a header with the source's progress and the worst service, one panel
 * per task, a footer with the keys; or, as the keys choose, the help, the anomalies or one
 * service across all six tasks. The streams are folded outside React and sampled every
 * `sampleIntervalMs`, so the screen redraws at a steady pace however fast records arrive;
 * the layout follows the terminal's size and never exceeds it, and only the rows shown are
 * drawn, however many services there are.
 */
export function Dashboard({
  source,
  outputs,
  stats,
  forwarded,
  lateOutput,
  keyedSlideSeconds,
  groupEverySeconds,
  thresholds = DEFAULT_THRESHOLDS,
  onQuit,
  sampleIntervalMs = 100,
  replay,
}: DashboardProps) {
  const size = useTerminalSize();
  const layout = useMemo(() => computeLayout(size), [size]);
  const order = useRef(new ServiceOrder());
  const listed = useRef<ServiceView['order']>([]);
  const replayView = useReplayControls(replay, sampleIntervalMs);
  const keys = useDashboardKeys(
    onQuit,
    () => ({ services: listed.current, pageRows: listRowsOf(layout) }),
    replayView.intercept,
  );
  const feed = useMemo(
    () => dashboardFeed({ outputs, stats, forwarded }),
    [outputs, stats, forwarded],
  );
  const data = useSampled(feed, INITIAL_DATA, sampleIntervalMs, keys.paused);
  const services = order.current.of(data.services, keys.sort, keys.filter);
  listed.current = services;
  const view: ServiceView = {
    table: data.services,
    order: services,
    selected: selectedIndex(keys, services),
    filter: keys.filter,
    thresholds,
  };
  const selected = services[view.selected];
  const body = { width: layout.width, rows: layout.bodyRows };

  return (
    <Box flexDirection="column" width={layout.width}>
      {layout.headerRows > 0 && (
        <Header
          source={source}
          stats={data.stats}
          eventsPerSecond={data.eventsPerSecond}
          failure={data.failure}
          ended={data.ended}
          worst={worstService(data.services)}
          table={data.services}
          thresholds={thresholds}
          replay={replayView.status}
          width={layout.width}
        />
      )}
      <Box flexDirection="column" height={layout.bodyRows} overflow="hidden">
        {keys.view === 'help' ? (
          <Help rows={layout.bodyRows} />
        ) : keys.view === 'anomalies' ? (
          <AnomaliesView
            anomalies={data.anomalies}
            filter={keys.filter}
            scroll={keys.anomalyScroll}
            thresholds={thresholds}
            {...body}
          />
        ) : keys.view === 'detail' ? (
          <DetailView
            row={keys.selected === null ? selected : data.services.get(keys.selected)}
            data={data}
            thresholds={thresholds}
            slideSeconds={keyedSlideSeconds}
            bucketSeconds={groupEverySeconds}
            {...body}
          />
        ) : (
          <PanelGrid
            layout={layout}
            data={data}
            view={view}
            lateOutput={lateOutput}
            keyedSlideSeconds={keyedSlideSeconds}
            groupEverySeconds={groupEverySeconds}
          />
        )}
      </Box>
      {layout.footerRows > 0 && (
        <Footer
          keys={keys}
          hiddenPanels={layout.hiddenPanels}
          listed={services.length}
          replay={replay === undefined ? null : replayView}
        />
      )}
    </Box>
  );
}
