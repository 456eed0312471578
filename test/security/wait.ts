// Polling for an effect the test cannot be told about (a file a container process writes). Not a timed assertion:
// the limit only turns a hang into a failure with a reason.
import { spawnSync } from 'node:child_process';

export function waitFor(cond: () => boolean, what: string, limitMs = 20_000): void {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    spawnSync('sleep', ['0.02']);
  }
}
