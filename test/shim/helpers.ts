// Shims for the tests: started with bin/tsrun-shim (Bun unless TSRUN_ENGINE says otherwise), every one cleaned
// up by `stop` whatever state it is in: the shim killed, `tsrun-shim delete` run, the bundle removed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ShimClient } from '../../shim/src/client.js';
import type { Event } from '../../shim/src/api.js';
import { type Bundle, REPO, alive, makeBundle } from '../helpers/bundle.js';

export const SHIM = path.join(REPO, 'bin', 'tsrun-shim');

export interface TestShim {
  id: string;
  bundle: Bundle;
  stateDir: string;
  runtimeRoot: string;
  address: string;
  pid: number;
  client: ShimClient;
  /** Kills the shim if it runs, then `tsrun-shim delete`; returns its output. */
  stop(): string;
}

let n = 0;

export function shimArgs(s: { id: string; bundle: Bundle; stateDir: string; runtimeRoot: string }): string[] {
  return ['--id', s.id, '--bundle', s.bundle.dir, '--state-dir', s.stateDir, '--runtime-root', s.runtimeRoot];
}

export async function startShim(script: string, edit?: Parameters<typeof makeBundle>[1], env: NodeJS.ProcessEnv = process.env): Promise<TestShim> {
  const id = `shimtest-${process.pid}-${++n}`;
  const bundle = makeBundle(script, edit);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-shim-'));
  const runtimeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-shimrt-'));
  const base = { id, bundle, stateDir, runtimeRoot };
  const r = spawnSync(SHIM, ['start', ...shimArgs(base), '--namespace', 'test'], { encoding: 'utf8', env, timeout: 20_000 });
  if (r.status !== 0) {
    bundle.remove();
    throw new Error(`tsrun-shim start: ${r.stderr}`);
  }
  const address = r.stdout.trim();
  const pid = Number(fs.readFileSync(path.join(bundle.dir, 'shim.pid'), 'utf8'));
  const client = await ShimClient.connect(address);
  return {
    ...base,
    address,
    pid,
    client,
    stop() {
      client.close();
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      const d = spawnSync(SHIM, ['delete', ...shimArgs(base)], { encoding: 'utf8', env, timeout: 30_000 });
      bundle.remove();
      fs.rmSync(runtimeRoot, { recursive: true, force: true });
      fs.rmSync(stateDir, { recursive: true, force: true });
      return d.stdout;
    },
  };
}

/** Collects events from a subscription until `until` says stop (or the time runs out: then it rejects). */
export async function eventsUntil(client: ShimClient, until: (e: Event) => boolean, afterSeq = 0n, ms = 20_000): Promise<Event[]> {
  const out: Event[] = [];
  const it = client.subscribe(afterSeq);
  let timer: NodeJS.Timeout | undefined;
  // it.return() does not end a pending next(): the timeout has to win a race against it.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no awaited event within ${ms} ms; got ${out.map((e) => e.topic).join(', ')}`)), ms);
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) break;
      out.push(r.value);
      if (until(r.value)) return out;
    }
  } finally {
    clearTimeout(timer);
    void it.return(undefined);
  }
  throw new Error(`subscription ended before the awaited event; got ${out.map((e) => e.topic).join(', ')}`);
}

/** The OCI process object for an exec. */
export function execSpec(args: string[]): Buffer {
  return Buffer.from(JSON.stringify({ args, cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 } }));
}

/** Zombie children of a pid, from /proc. */
export function zombiesOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' && Number(f[1]) === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** Gone: no such process, or a zombie (a shim's parent after `start` is pid 1, which may reap it late). */
export function gone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Memory of a process in kB: Pss (its share of what it maps; moves when other processes start or stop sharing the
 * engine's pages), VmRSS, and RssAnon (its heap and stacks, which only it changes).
 */
export function memory(pid: number): { pss: number; rss: number; anon: number } {
  const roll = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (re: RegExp, text: string) => Number(re.exec(text)?.[1]);
  return { pss: kb(/^Pss:\s+(\d+)/m, roll), rss: kb(/^VmRSS:\s+(\d+)/m, status), anon: kb(/^RssAnon:\s+(\d+)/m, status) };
}
