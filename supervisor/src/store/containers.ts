// Container metadata, one JSON file per container: <root>/namespaces/<namespace>/containers/<id>.json.
// Everything is also held in memory (loaded once at start), so reads never touch the disk; every change is
// written durably (store/atomic.ts) before the caller sees it succeed.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { makeDir, readJson, removeDurable, writeFileAtomic } from './atomic.js';

export interface MountRecord {
  type: string;
  source: string;
  options: string[];
}

export interface ContainerRecord {
  id: string;
  labels: Record<string, string>;
  /** The OCI spec as JSON text, as the client gave it. */
  spec: string;
  rootfs: { path: string; mounts: MountRecord[] };
  runtime: { runtime: string; runtimeRoot: string };
  /** Unix time in nanoseconds. */
  createdAt: number;
  updatedAt: number;
}

export class ContainerStore {
  private byNs = new Map<string, Map<string, ContainerRecord>>();

  constructor(private readonly root: string) {}

  private dir(ns: string): string {
    return path.join(this.root, 'namespaces', ns, 'containers');
  }

  /** Reads every namespace's containers from disk. */
  async load(): Promise<void> {
    const nsDir = path.join(this.root, 'namespaces');
    await makeDir(nsDir);
    for (const ns of await fs.readdir(nsDir)) {
      const dir = this.dir(ns);
      let names: string[] = [];
      try {
        names = await fs.readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.')) {
          // a temporary file left by a crash mid-write: the committed version is the other file
          await fs.rm(path.join(dir, name), { force: true });
          continue;
        }
        if (!name.endsWith('.json')) continue;
        const rec = await readJson<ContainerRecord>(path.join(dir, name));
        if (rec) this.ns(ns).set(rec.id, rec);
      }
    }
  }

  private ns(ns: string): Map<string, ContainerRecord> {
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    return m;
  }

  get(ns: string, id: string): ContainerRecord | undefined {
    return this.byNs.get(ns)?.get(id);
  }

  list(ns: string): ContainerRecord[] {
    return [...(this.byNs.get(ns)?.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  namespaces(): string[] {
    return [...this.byNs.entries()].filter(([, m]) => m.size > 0).map(([ns]) => ns).sort();
  }

  /** Writes (creates or replaces) a container; the memory copy changes only once the file is committed. */
  async put(ns: string, rec: ContainerRecord): Promise<void> {
    await makeDir(this.dir(ns));
    await writeFileAtomic(path.join(this.dir(ns), `${rec.id}.json`), JSON.stringify(rec));
    this.ns(ns).set(rec.id, rec);
  }

  async remove(ns: string, id: string): Promise<void> {
    await removeDurable(path.join(this.dir(ns), `${id}.json`));
    this.byNs.get(ns)?.delete(id);
  }
}
