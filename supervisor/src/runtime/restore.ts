// After tsrund starts: find every task it had (the bundles under <state>/bundles) and take each up again.
// - a live shim: reconnect, resubscribe after the last event handled; the shim replays what happened meanwhile
//   (an exit while tsrund was down is recorded and published now);
// - a shim that is gone: `tsrun-shim delete` cleans up, the exit (if it was never reported) and the task's
//   deletion are published, the bundle is removed; the container itself stays;
// - a bundle without a task record (tsrund died in the middle of a task Create, which never succeeded):
//   removed the same way, without events.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { TaskService } from '../services/tasks.js';
import { TASK_FILE, type TaskRecord } from '../store/tasks.js';
import { readJson } from '../store/atomic.js';
import { Task } from './task.js';
import { unmountRootfs } from './rootfs.js';

async function readDirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

export interface RestoreReport {
  reattached: string[];
  reaped: string[];
  discarded: string[];
}

export async function restoreTasks(svc: TaskService): Promise<RestoreReport> {
  const report: RestoreReport = { reattached: [], reaped: [], discarded: [] };
  const bundles = path.join(svc.d.state, 'bundles');
  const work: Promise<void>[] = [];
  for (const ns of await readDirs(bundles)) {
    for (const id of await readDirs(path.join(bundles, ns))) {
      work.push(restoreOne(svc, ns, id, report));
    }
  }
  await Promise.all(work);
  return report;
}

async function restoreOne(svc: TaskService, ns: string, id: string, report: RestoreReport): Promise<void> {
  const key = `${ns}/${id}`;
  const bundle = path.join(svc.d.state, 'bundles', ns, id);
  const rec = await readJson<TaskRecord>(path.join(bundle, TASK_FILE)).catch(() => undefined);
  let container;
  try {
    container = svc.d.container(ns, id);
  } catch {
    container = undefined;
  }
  const opts = svc.shimOptions(container ?? { id, runtime: { runtime: '', runtimeRoot: '' } }, ns);
  if (!rec || !container) {
    await svc.d.launcher.cleanup(opts).catch(() => undefined);
    await unmountRootfs(bundle);
    await fs.rm(bundle, { recursive: true, force: true });
    report.discarded.push(key);
    return;
  }
  let shim;
  try {
    shim = await svc.d.launcher.connect(rec.address);
    await shim.connect();
    const task = new Task(rec, shim, svc.d.exchange);
    svc.tasks.set(task.key, task);
    task.pump();
    report.reattached.push(key);
  } catch {
    shim?.close();
    await svc.reapGone(rec, opts);
    report.reaped.push(key);
  }
}
