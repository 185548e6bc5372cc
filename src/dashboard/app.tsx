import { Box } from 'ink';
import { useMemo } from 'react';
import type { Observable } from 'rxjs';
import type { LogEvent } from '../../operators/event.js';
import { Footer } from './components/footer.js';
import { Header } from './components/header.js';
import { Help } from './components/help.js';
import { PanelGrid } from './components/panel-grid.js';
import { dashboardFeed, initialDashboardData } from './feed.js';
import { useDashboardKeys } from './hooks/use-dashboard-keys.js';
import { useSampled } from './hooks/use-sampled.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { computeLayout } from './layout.js';
import type { SourceStats, TaskOutput } from './types.js';

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
  /** Called on `q` and Ctrl-C. */
  onQuit: () => void;
  /** How often the screen samples the streams, ms (default 100: at most ten redraws a second). */
  sampleIntervalMs?: number;
}

const INITIAL_DATA = initialDashboardData();

/**
 * The live dashboard: a header with the source's progress, one panel per task, a footer with
 * the keys. The streams are folded outside React and sampled every `sampleIntervalMs`, so
 * the screen redraws at a steady pace however fast records arrive; the layout follows the
 * terminal's size and never exceeds it.
 */
export function Dashboard({
  source,
  outputs,
  stats,
  forwarded,
  lateOutput,
  onQuit,
  sampleIntervalMs = 100,
}: DashboardProps) {
  const keys = useDashboardKeys(onQuit);
  const size = useTerminalSize();
  const feed = useMemo(
    () => dashboardFeed({ outputs, stats, forwarded }),
    [outputs, stats, forwarded],
  );
  const data = useSampled(feed, INITIAL_DATA, sampleIntervalMs, keys.paused);
  const layout = useMemo(() => computeLayout(size), [size]);

  return (
    <Box flexDirection="column" width={layout.width}>
      {layout.headerRows > 0 && (
        <Header
          source={source}
          stats={data.stats}
          eventsPerSecond={data.eventsPerSecond}
          failure={data.failure}
          width={layout.width}
        />
      )}
      <Box flexDirection="column" height={layout.bodyRows} overflow="hidden">
        {keys.help ? (
          <Help rows={layout.bodyRows} />
        ) : (
          <PanelGrid layout={layout} data={data} lateOutput={lateOutput} />
        )}
      </Box>
      {layout.footerRows > 0 && (
        <Footer paused={keys.paused} help={keys.help} hiddenPanels={layout.hiddenPanels} />
      )}
    </Box>
  );
}
