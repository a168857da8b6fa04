/**
 * What the workflow sandbox's watchdog costs (src/lib/sandbox-watchdog.ts):
 * the same trivial script run in a `vm` context with and without `timeout`,
 * as the Temporal SDK calls into its sandbox. Prints µs per call of each.
 * Run: `npx tsx bench/vm-timeout.ts`.
 */
import vm from 'node:vm';

const CALLS = 20_000;
const context = vm.createContext({ x: 0 }, { microtaskMode: 'afterEvaluate' });
const script = new vm.Script('x++');

for (const [label, options] of [
  ['no timeout', {}],
  ['timeout 5000 ms (the SDK default)', { timeout: 5000 }],
] as const) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) script.runInContext(context, options);
  const wallUs = ((performance.now() - t0) * 1000) / CALLS;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / CALLS;
  console.log(
    `${label.padEnd(36)} ${wallUs.toFixed(1).padStart(7)} µs wall  ${cpuUs.toFixed(1).padStart(7)} µs CPU per call`,
  );
}
