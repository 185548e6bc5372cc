import { Text } from 'ink';
import { Line } from './line.js';

/** The keys, and the state they toggled: PAUSED, the help, panels the terminal cannot fit. */
export function Footer({
  paused,
  help,
  hiddenPanels,
}: {
  paused: boolean;
  help: boolean;
  hiddenPanels: number;
}) {
  return (
    <Line>
      {paused && (
        <>
          <Text color="yellow" bold inverse>
            {' PAUSED '}
          </Text>{' '}
        </>
      )}
      <Key name="q" /> quit <Key name="p" /> {paused ? 'resume' : 'pause'} <Key name="?" />{' '}
      {help ? 'close help' : 'help'}
      {hiddenPanels > 0 && (
        <Text dimColor>{`  · ${hiddenPanels} panels hidden: enlarge the terminal`}</Text>
      )}
    </Line>
  );
}

function Key({ name }: { name: string }) {
  return (
    <Text bold color="cyan">
      {name}
    </Text>
  );
}
