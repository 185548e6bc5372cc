import { useMemo, useRef, useState } from 'react';
import { EMPTY } from 'rxjs';
import type { KeyPress } from '../dashboard-keys.js';
import { applyReplayKey, CLOSED_PROMPT, type JumpPrompt, refusedJump } from '../replay-keys.js';
import type { ReplayControls, ReplayStatus } from '../types.js';
import { useSampled } from './use-sampled.js';

/** What the screen shows of a replay, and the key handler that drives it. */
export interface ReplayView {
  /** Null when the dashboard is not showing a replay. */
  readonly status: ReplayStatus | null;
  readonly prompt: JumpPrompt;
  /** Takes a key when it is a replay key (see {@link applyReplayKey}); false leaves it to the dashboard. */
  readonly intercept: (key: KeyPress) => boolean;
}

/** The replay's keys and status, sampled as the rest of the screen is. */
export function useReplayControls(
  replay: ReplayControls | undefined,
  sampleIntervalMs: number,
): ReplayView {
  const [prompt, setPrompt] = useState<JumpPrompt>(CLOSED_PROMPT);
  const latest = useRef(prompt);
  const status = useSampled<ReplayStatus | null>(
    useMemo(() => replay?.status ?? EMPTY, [replay]),
    null,
    sampleIntervalMs,
  );
  const intercept = (key: KeyPress): boolean => {
    if (replay === undefined) return false;
    const result = applyReplayKey(latest.current, key);
    let next = result.prompt;
    switch (result.command?.type) {
      case 'pause':
        replay.togglePause();
        break;
      case 'step':
        replay.step();
        break;
      case 'faster':
        replay.faster();
        break;
      case 'slower':
        replay.slower();
        break;
      case 'jump':
        if (!replay.jumpTo(result.command.to)) next = refusedJump(latest.current.text);
        break;
    }
    latest.current = next;
    setPrompt(next);
    return result.handled;
  };
  return { status, prompt, intercept };
}
