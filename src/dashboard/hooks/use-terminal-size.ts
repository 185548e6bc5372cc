import { useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { TerminalSize } from '../layout.js';

/** What a terminal that does not say its size is assumed to be. */
export const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };

/** The size of the terminal Ink renders to, updated on every 'resize'. */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => readSize(stdout));

  useEffect(() => {
    const onResize = () =>
      setSize((previous) => {
        const next = readSize(stdout);
        return next.columns === previous.columns && next.rows === previous.rows ? previous : next;
      });
    stdout.on('resize', onResize);
    onResize();
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);

  return size;
}

function readSize(stdout: NodeJS.WriteStream): TerminalSize {
  // columns and rows are undefined (or 0) when stdout is not a terminal.
  return {
    columns: stdout.columns || DEFAULT_SIZE.columns,
    rows: stdout.rows || DEFAULT_SIZE.rows,
  };
}
