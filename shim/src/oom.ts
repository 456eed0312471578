// OOM notification for the container's memory cgroup, found from /proc/<init>/cgroup (the shim is in the host's
// cgroup namespace, so the paths are the host's):
// - cgroup v1: an eventfd registered with cgroup.event_control on memory.oom_control; it fires on each OOM and
//   once more when the cgroup is removed, which ends the watch. It is read by Bun's event loop (non-blocking) or,
//   on Node, by a read that blocks one libuv pool thread (readEvents).
// - cgroup v2: inotify (fs.watch) on memory.events; an increase of its oom_kill count is an OOM kill.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Sys } from './sys.js';

export interface MemoryCgroup {
  version: 1 | 2;
  dir: string;
}

/** Mount points of cgroup hierarchies: v1 by controller name, v2 as 'unified'. */
function cgroupMounts(mountinfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    const f = pre?.split(' ') ?? [];
    const g = post?.split(' ') ?? [];
    if (g[0] === 'cgroup2') out.set('unified', f[4] ?? '');
    if (g[0] === 'cgroup') for (const opt of (g[2] ?? '').split(',')) out.set(opt, f[4] ?? '');
  }
  return out;
}

export function memoryCgroup(pid: number, read = (p: string) => fs.readFileSync(p, 'utf8')): MemoryCgroup | undefined {
  const mounts = cgroupMounts(read('/proc/self/mountinfo'));
  let v2: MemoryCgroup | undefined;
  for (const line of read(`/proc/${pid}/cgroup`).trim().split('\n')) {
    const [, controllers = '', rel = ''] = line.split(/:(.*?):/);
    const v1mount = mounts.get('memory');
    if (controllers.split(',').includes('memory') && v1mount) return { version: 1, dir: path.join(v1mount, rel) };
    const unified = mounts.get('unified');
    if (controllers === '' && unified) v2 = { version: 2, dir: path.join(unified, rel) };
  }
  return v2 && fs.existsSync(path.join(v2.dir, 'memory.events')) ? v2 : undefined;
}

export function oomKillCount(file: string): number {
  const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** The cgroup's OOM kill count (v1: memory.oom_control's oom_kill line, kernel 4.13+), undefined if unreadable. */
export function oomKills(cg: MemoryCgroup): number | undefined {
  try {
    return oomKillCount(path.join(cg.dir, cg.version === 2 ? 'memory.events' : 'memory.oom_control'));
  } catch {
    return undefined;
  }
}

/** Calls onOom at each OOM of the cgroup until the returned stop function is called or the cgroup goes away. */
export function watchOom(cg: MemoryCgroup, sys: Sys, onOom: () => void, log: (line: string) => void): () => void {
  let stopped = false;
  if (cg.version === 2) {
    const file = path.join(cg.dir, 'memory.events');
    let seen = oomKillCount(file);
    const w = fs.watch(file, () => {
      try {
        const n = oomKillCount(file);
        if (n > seen && !stopped) onOom();
        seen = n;
      } catch {
        w.close(); // the cgroup is gone
      }
    });
    return () => {
      stopped = true;
      w.close();
    };
  }
  const efd = sys.eventfd(Boolean(process.versions.bun));
  const control = fs.openSync(path.join(cg.dir, 'memory.oom_control'), 'r');
  try {
    fs.writeFileSync(path.join(cg.dir, 'cgroup.event_control'), `${efd} ${control}`);
  } catch (e) {
    fs.closeSync(efd);
    fs.closeSync(control);
    throw e;
  }
  readEvents(
    efd,
    () => {
      // The eventfd also fires when the cgroup is removed: that is the end, not an OOM.
      if (stopped || !fs.existsSync(path.join(cg.dir, 'memory.oom_control'))) return false;
      onOom();
      return true;
    },
    (err) => {
      if (err) log(`oom watch on ${cg.dir}: ${err.message}`);
      fs.closeSync(efd);
      fs.closeSync(control);
    },
  );
  return () => {
    stopped = true;
  };
}

interface BunFile {
  file(fd: number): { stream(): ReadableStream<Uint8Array> };
}

/**
 * Reads the eventfd efd (non-blocking on Bun) and calls onEvent for each read until it returns false, then done
 * (with the error that ended it, if any). On Bun its event loop polls the fd: a blocking read there holds two pool
 * threads in every shim for its whole life (~0.18 MB, measured). On Node a blocking read takes one of the four
 * libuv pool threads, which Node starts anyway.
 */
function readEvents(efd: number, onEvent: () => boolean, done: (err?: Error) => void): void {
  const bun = (globalThis as { Bun?: BunFile }).Bun;
  if (bun) {
    const reader = bun.file(efd).stream().getReader();
    const loop = async (): Promise<void> => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return done(new Error('eventfd: end of file'));
        if (!onEvent()) {
          await reader.cancel();
          return done();
        }
      }
    };
    loop().catch((e: unknown) => done(e instanceof Error ? e : new Error(String(e))));
    return;
  }
  const buf = Buffer.alloc(8);
  const next = (): void =>
    fs.read(efd, buf, 0, 8, null, (err) => {
      if (err) return done(err);
      if (onEvent()) next();
      else done();
    });
  next();
}
