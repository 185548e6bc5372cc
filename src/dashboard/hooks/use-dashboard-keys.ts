import { useInput } from 'ink';
import { useState } from 'react';

export interface DashboardKeys {
  /** The display is frozen (the stream keeps being processed). */
  readonly paused: boolean;
  /** The help replaces the panels. */
  readonly help: boolean;
}

/** The dashboard's keys (either case): `q` and Ctrl-C quit, `p` pauses/resumes, `?` toggles help, Esc closes it. */
export function useDashboardKeys(onQuit: () => void): DashboardKeys {
  const [paused, setPaused] = useState(false);
  const [help, setHelp] = useState(false);

  useInput((input, key) => {
    const letter = input.toLowerCase();
    if ((letter === 'q' && !key.ctrl) || (key.ctrl && letter === 'c')) onQuit();
    else if (letter === 'p' && !key.ctrl) setPaused((value) => !value);
    else if (input === '?') setHelp((value) => !value);
    else if (key.escape) setHelp(false);
  });

  return { paused, help };
}
