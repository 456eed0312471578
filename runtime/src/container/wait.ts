// Waiting for a process that is not our child to disappear (after SIGKILL during cleanup or delete).
import { procStat } from '../state/store.js';

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls until the pid is gone or a zombie; returns false on timeout. */
export function waitGone(pid: number, timeoutMs = 5000): boolean {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    const st = procStat(pid);
    if (!st || st.zombie) return true;
    sleepMs(delay);
  }
  return false;
}
