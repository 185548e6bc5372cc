import { Text } from 'ink';
import type { ReactNode } from 'react';
import { formatCount } from '../format.js';
import type { ServiceRow } from '../service-table.js';
import { firstShown, type ServiceView } from '../service-view.js';
import { displayWidth, logText, padToWidth } from '../text.js';
import { Line } from './line.js';

/**
 * The service list of a panel: the rows of the shared {@link ServiceView} that fit in
 * `rows` lines around the selection, each a name column and what `cells` draws in the
 * `width` left of the line, with a last line saying where the rows are in the list when it
 * is longer than the panel. The selected service is marked and shown in inverse.
 */
export function ServiceRows({
  view,
  rows,
  width,
  cells,
}: {
  view: ServiceView;
  rows: number;
  width: number;
  /** The rest of a service's line, in `width` columns. */
  cells: (row: ServiceRow, width: number) => ReactNode;
}) {
  if (rows <= 0) return null;
  const { order, selected } = view;
  if (order.length === 0) {
    return (
      <Line dim>{view.filter === '' ? 'no service yet' : 'no service matches the filter'}</Line>
    );
  }
  const fits = order.length <= rows;
  // One line says where the rows are in the list, when there is a line to spare.
  const listRows = fits ? order.length : Math.max(1, rows - 1);
  const first = firstShown(order.length, selected, listRows);
  const shown = order.slice(first, first + listRows);
  const names = shown.map((row) => logText(row.service, nameColumnsLimit(width)));
  const nameColumns = Math.max(3, ...names.map(displayWidth));
  const cellsWidth = Math.max(0, width - nameColumns - 2);
  return (
    <>
      {shown.map((row, index) => {
        const isSelected = first + index === selected;
        return (
          <Line key={row.service}>
            <Text color={isSelected ? 'cyan' : undefined}>{isSelected ? '›' : ' '}</Text>
            <Text inverse={isSelected}>{padToWidth(names[index]!, nameColumns)}</Text>{' '}
            {cells(row, cellsWidth)}
          </Line>
        );
      })}
      {!fits && rows >= 2 && (
        <Line dim>
          {`${first > 0 ? `↑${formatCount(first)} ` : ''}${first + listRows < order.length ? `↓${formatCount(order.length - first - listRows)} ` : ''}· ${formatCount(selected + 1)}/${formatCount(order.length)}`}
        </Line>
      )}
    </>
  );
}

/** The widest name column of a list `width` wide: it fits the names shown, within a third. */
export function nameColumnsLimit(width: number): number {
  return Math.max(4, Math.floor(width / 3));
}
