// Task records, next to the task's bundle in the state directory: <state>/bundles/<namespace>/<id>/task.json. They hold
// what tsrund needs to find the shim again after its own restart, and the last shim event it has handled (so the
// shim's journal replays exactly what was missed). The state directory is meant to be a tmpfs (/run): after a
// reboot no shim survives, and neither do these records.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readJson, removeDurable, writeFileAtomic } from './atomic.js';

export interface StdioRecord {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export interface TaskRecord {
  namespace: string;
  id: string;
  bundle: string;
  /** Where tsrun-shim listens (also in <bundle>/shim.address). */
  address: string;
  pid: number;
  stdio: StdioRecord;
  /** The seq of the last shim event tsrund has published. */
  lastSeq: number;
  /** Rootfs mounts tsrund made on <bundle>/rootfs, to undo at delete. */
  mounted: boolean;
  exit?: { status: number; exitedAt: number };
}

export const TASK_FILE = 'task.json';

export async function saveTask(rec: TaskRecord): Promise<void> {
  await writeFileAtomic(path.join(rec.bundle, TASK_FILE), JSON.stringify(rec));
}

export async function removeTask(rec: TaskRecord): Promise<void> {
  await removeDurable(path.join(rec.bundle, TASK_FILE));
}

export const bundleDir = (state: string, ns: string, id: string): string => path.join(state, 'bundles', ns, id);

/** Every task record under the state directory. */
export async function loadTasks(state: string): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  const bundles = path.join(state, 'bundles');
  let namespaces: string[] = [];
  try {
    namespaces = await fs.readdir(bundles);
  } catch {
    return out;
  }
  for (const ns of namespaces) {
    let ids: string[] = [];
    try {
      ids = await fs.readdir(path.join(bundles, ns));
    } catch {
      continue;
    }
    for (const id of ids) {
      const rec = await readJson<TaskRecord>(path.join(bundles, ns, id, TASK_FILE)).catch(() => undefined);
      if (rec) out.push(rec);
    }
  }
  return out;
}
