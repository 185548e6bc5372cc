import { describe, expect, it } from 'vitest';
import { replayStatusText } from '../../src/dashboard/components/header.js';
import { applyReplayKey, CLOSED_PROMPT, type JumpPrompt } from '../../src/dashboard/replay-keys.js';

/** The prompt and commands after typing `keys` one at a time from a closed prompt. */
function typeKeys(keys: readonly Parameters<typeof applyReplayKey>[1][]) {
  let prompt: JumpPrompt = CLOSED_PROMPT;
  const commands: unknown[] = [];
  const handled: boolean[] = [];
  for (const key of keys) {
    const result = applyReplayKey(prompt, key);
    prompt = result.prompt;
    handled.push(result.handled);
    if (result.command) commands.push(result.command);
  }
  return { prompt, commands, handled };
}

describe('the replay keys', () => {
  it('pause, step and change the speed, and leave every other key to the dashboard', () => {
    const { commands, handled } = typeKeys([
      { input: 'p' },
      { input: 'n' },
      { input: '+' },
      { input: '-' },
      { input: 'q' },
      { input: '/' },
      { input: 'j' },
    ]);
    expect(commands).toEqual([
      { type: 'pause' },
      { type: 'step' },
      { type: 'faster' },
      { type: 'slower' },
    ]);
    expect(handled).toEqual([true, true, true, true, false, false, false]);
  });

  it('open a prompt on t that takes a duration into the recording and jumps on Enter', () => {
    const { prompt, commands } = typeKeys([
      { input: 't' },
      { input: '9' },
      { input: '0' },
      { input: 'x' },
      { input: '', backspace: true },
      { input: 's' },
      { input: '', return: true },
    ]);
    expect(commands).toEqual([{ type: 'jump', to: 90_000 }]);
    expect(prompt).toEqual(CLOSED_PROMPT);
  });

  it('keep the prompt open with a reason for what is no duration, and close it on Esc', () => {
    const refused = typeKeys([{ input: 't' }, { input: 'soon' }, { input: '', return: true }]);
    expect(refused.commands).toEqual([]);
    expect(refused.prompt).toEqual({
      editing: true,
      text: 'soon',
      error: "'soon' is not a duration (like 90s, 2m)",
    });
    const closed = applyReplayKey(refused.prompt, { input: '', escape: true });
    expect(closed).toEqual({ prompt: CLOSED_PROMPT, handled: true });
    // While the prompt is open, the dashboard's keys are text: q does not quit.
    expect(applyReplayKey({ editing: true, text: '', error: null }, { input: 'q' }).handled).toBe(
      true,
    );
    // Escape sequences pasted into the prompt never reach the screen.
    expect(typeKeys([{ input: 't' }, { input: '\x1b[31m5s' }]).prompt.text).toBe('31m5s');
  });

  it('show the replay time and pace in the header', () => {
    expect(replayStatusText({ time: 65_400, speed: 2, paused: false })).toBe('replay 1m05s at 2x');
    expect(replayStatusText({ time: 12_000, speed: 'max', paused: false })).toBe(
      'replay 12s at max',
    );
    expect(replayStatusText({ time: 12_000, speed: 0.25, paused: false })).toBe(
      'replay 12s at 1/4x',
    );
    expect(replayStatusText({ time: 0, speed: 1, paused: true })).toBe('replay 0s PAUSED');
  });
});
