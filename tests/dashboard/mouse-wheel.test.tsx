import { EventEmitter } from 'node:events';
import { render as inkRender, Text, useInput } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DISABLE_MOUSE_REPORTS,
  ENABLE_MOUSE_REPORTS,
  isMouseReport,
  useMouseWheel,
  wheelDirection,
} from '../../src/dashboard/hooks/use-mouse-wheel.js';

/** A component with the wheel and, like the dashboard's keys, another input handler. */
function Wheel({
  onWheel,
  onInput,
}: {
  onWheel: (direction: 1 | -1) => void;
  onInput: (input: string) => void;
}) {
  useMouseWheel(onWheel);
  useInput((input) => onInput(input));
  return <Text>wheel</Text>;
}

function renderWheel() {
  const onWheel = vi.fn<(direction: 1 | -1) => void>();
  const inputs: string[] = [];
  const view = render(<Wheel onWheel={onWheel} onInput={(input) => inputs.push(input)} />);
  return { ...view, onWheel, inputs };
}

describe('wheelDirection', () => {
  it.each([
    ['[<64;10;5M', -1],
    ['[<65;10;5M', 1],
    // Shift, meta and ctrl held: still the wheel.
    ['[<68;1;1M', -1],
    ['[<89;200;60M', 1],
  ] as const)('reads %s as %i', (input, direction) => {
    expect(wheelDirection(input)).toBe(direction);
    expect(isMouseReport(input)).toBe(true);
  });

  it.each([
    '[<0;3;4M', // left button pressed
    '[<0;3;4m', // and released
    '[<66;3;4M', // wheel left (horizontal)
    '[<64;3;4m',
    '[A',
    'q',
    '[<64;10M',
  ])('finds no wheel turn in %j', (input) => {
    expect(wheelDirection(input)).toBeUndefined();
  });

  it('tells clicks from typed text', () => {
    expect(isMouseReport('[<0;3;4m')).toBe(true);
    expect(isMouseReport('[<64;3;4')).toBe(false);
    expect(isMouseReport('q')).toBe(false);
  });
});

describe('useMouseWheel', () => {
  it('calls onWheel with -1 up and 1 down, per report', async () => {
    const { stdin, onWheel } = renderWheel();
    await vi.waitFor(() => expect(stdin.listenerCount('readable')).toBe(1));
    stdin.write('\x1b[<64;10;5M');
    stdin.write('\x1b[<65;10;5M');
    // A terminal sends several turns of a quick scroll in one read.
    stdin.write('\x1b[<65;10;5M\x1b[<65;10;5M\x1b[<64;10;5M');
    expect(onWheel.mock.calls.map(([direction]) => direction)).toEqual([-1, 1, 1, 1, -1]);
  });

  it('lets no report reach other handlers as keys, and keys still pass', async () => {
    const { stdin, onWheel, inputs } = renderWheel();
    await vi.waitFor(() => expect(stdin.listenerCount('readable')).toBe(1));
    stdin.write('\x1b[<64;113;91M');
    stdin.write('q');
    stdin.write('\x1b[<0;81;5M\x1b[<0;81;5mp');
    // A report cut in two by the read: Ink waits for its end.
    stdin.write('\x1b[<65;1');
    stdin.write('0;5M');
    expect(inputs).toEqual(['[<64;113;91M', 'q', '[<0;81;5M', '[<0;81;5m', 'p', '[<65;10;5M']);
    expect(inputs.filter((input) => !isMouseReport(input))).toEqual(['q', 'p']);
    expect(onWheel.mock.calls.map(([direction]) => direction)).toEqual([-1, 1]);
  });

  it('writes nothing when stdout is not a terminal', async () => {
    const { stdin, stdout } = renderWheel();
    await vi.waitFor(() => expect(stdin.listenerCount('readable')).toBe(1));
    expect(stdout.frames.join('')).not.toContain('\x1b[?1000h');
  });

  describe('on a terminal', () => {
    /** Ink's streams as a terminal has them, with what was written to stdout. */
    class FakeStdout extends EventEmitter {
      readonly isTTY = true;
      readonly writable = true;
      readonly columns = 80;
      readonly rows = 24;
      readonly written: string[] = [];
      write = (data: string) => {
        this.written.push(data);
        return true;
      };
    }
    class FakeStdin extends EventEmitter {
      readonly isTTY = true;
      setEncoding() {}
      setRawMode() {}
      ref() {}
      unref() {}
      read() {
        return null;
      }
    }
    const instances: { unmount(): void }[] = [];
    afterEach(() => {
      for (const instance of instances.splice(0)) instance.unmount();
    });

    it('turns reporting on when mounted and off when unmounted', async () => {
      const stdout = new FakeStdout();
      const exitListeners = process.listeners('exit');
      const instance = inkRender(<Wheel onWheel={() => {}} onInput={() => {}} />, {
        stdout: stdout as unknown as NodeJS.WriteStream,
        stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
        debug: true,
        exitOnCtrlC: false,
        patchConsole: false,
      });
      instances.push(instance);
      await vi.waitFor(() => expect(stdout.written).toContain(ENABLE_MOUSE_REPORTS));
      expect(process.listeners('exit').length).toBeGreaterThan(exitListeners.length);
      expect(stdout.written).not.toContain(DISABLE_MOUSE_REPORTS);
      instance.unmount();
      await vi.waitFor(() => expect(stdout.written).toContain(DISABLE_MOUSE_REPORTS));
      // Its last-resort exit listener goes with it.
      expect(process.listeners('exit')).toEqual(exitListeners);
      expect(stdout.written.filter((data) => data === ENABLE_MOUSE_REPORTS)).toHaveLength(1);
    });
  });
});
