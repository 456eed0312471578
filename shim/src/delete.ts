// `tsrun-shim delete`: cleans up after a shim that is gone (killed, crashed): kills it if it still runs, has the
// runtime delete the container (--force: processes, cgroups, mounts, its state), removes the shim's socket,
// address, pid file and state dir, and answers with the init's exit as the journal recorded it (137, SIGKILL,
// when the shim died before recording one).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Topic } from './api.js';
import { readJournal } from './journal.js';
import { type ShimOptions, files } from './options.js';
import { nowNs } from './reaper.js';

function shimPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    // The pid could have been reused: only a process running the shim counts.
    if (pid > 0 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shim')) return pid;
  } catch {
    // no file, or no such process
  }
  return undefined;
}

function waitGone(pid: number, ms = 5000): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))) return;
    } catch {
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

export interface DeleteResult {
  pid: number;
  exitStatus: number;
  exitedAt: string;
}

export function deleteShim(o: ShimOptions, warn: (line: string) => void): DeleteResult {
  const f = files(o);
  const pid = shimPid(f.pid);
  if (pid !== undefined) {
    warn(`shim ${pid} is still running: killing it`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    waitGone(pid);
  }
  const rt = spawnSync(o.runtime, [...(o.runtimeRoot ? ['--root', o.runtimeRoot] : []), 'delete', '--force', o.id], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const err = (rt.stderr ?? '').trim();
  if (rt.status !== 0 && !/does not exist|not found|no such/i.test(err)) warn(`${o.runtime} delete --force ${o.id}: ${err || `exit ${rt.status}`}`);
  const events = readJournal(f.journal);
  const exit = events.filter((e) => e.topic === Topic.exit && e.execId === '').at(-1);
  const created = events.find((e) => e.topic === Topic.create);
  for (const file of [f.socket, f.address, f.pid]) fs.rmSync(file, { force: true });
  fs.rmSync(o.stateDir, { recursive: true, force: true });
  return {
    pid: exit?.pid ?? created?.pid ?? 0,
    exitStatus: exit ? exit.exitStatus : 128 + 9,
    exitedAt: String(exit ? exit.exitedAt : nowNs()),
  };
}
