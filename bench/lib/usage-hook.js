// Preloaded (`node --import`) into measured children where GNU time is missing: writes the
// process's own CPU time and peak RSS at exit, in GNU time's `%U %S %M` format.
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_USAGE_FILE;
if (out) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const seconds = (microseconds) => (microseconds / 1e6).toFixed(3);
    writeFileSync(
      out,
      `${seconds(usage.userCPUTime)} ${seconds(usage.systemCPUTime)} ${usage.maxRSS}\n`,
    );
  });
}
