// Containers: metadata only (what to run, on which rootfs, with which labels). Every change is durable before it
// is answered and announced on the event stream.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exists, invalid, notFound, precondition } from '../errors.js';
import { nowNs, type Exchange } from '../events/exchange.js';
import { checkId } from '../ids.js';
import type { KeyedLock } from '../lock.js';
import type { ContainerRecord, ContainerStore, MountRecord } from '../store/containers.js';
import { matches, parseFilters } from './filters.js';

export interface ContainerInput {
  id: string;
  labels: Record<string, string>;
  spec: string;
  rootfs: { path: string; mounts: MountRecord[] };
  runtime: { runtime: string; runtimeRoot: string };
}

export interface ContainerDeps {
  store: ContainerStore;
  exchange: Exchange;
  lock: KeyedLock;
  /** Whether the container has a task (a container with one cannot be deleted). */
  hasTask(ns: string, id: string): boolean;
}

/** The spec must be a JSON object; the runtime checks the rest when the task is created, with its own messages. */
export function parseSpec(text: string, what: string): Record<string, unknown> {
  if (!text) throw invalid(`${what}: spec is required (the OCI config.json as JSON)`);
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw invalid(`${what}: spec is not JSON: ${(err as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`${what}: spec must be a JSON object`);
  return spec as Record<string, unknown>;
}

function checkRootfs(rootfs: ContainerInput['rootfs'], what: string): void {
  const hasPath = rootfs.path !== '';
  if (hasPath === rootfs.mounts.length > 0) throw invalid(`${what}: rootfs needs either a path or a list of mounts`);
  if (hasPath) {
    if (!path.isAbsolute(rootfs.path)) throw invalid(`${what}: rootfs.path "${rootfs.path}" must be absolute`);
    let st: fs.Stats;
    try {
      st = fs.statSync(rootfs.path);
    } catch {
      throw invalid(`${what}: rootfs.path ${rootfs.path}: no such directory`);
    }
    if (!st.isDirectory()) throw invalid(`${what}: rootfs.path ${rootfs.path}: not a directory`);
  }
  rootfs.mounts.forEach((m, i) => {
    if (!m.type || !m.source) throw invalid(`${what}: rootfs.mounts[${i}] needs a type and a source`);
  });
}

export class ContainerService {
  constructor(private readonly d: ContainerDeps) {}

  need(ns: string, id: string): ContainerRecord {
    const c = this.d.store.get(ns, checkId('container id', id));
    if (!c) throw notFound(`container ${id} not found in namespace ${ns}`);
    return c;
  }

  async create(ns: string, input: ContainerInput): Promise<ContainerRecord> {
    const id = checkId('container id', input.id);
    const what = `container ${id}`;
    parseSpec(input.spec, what);
    checkRootfs(input.rootfs, what);
    if (input.runtime.runtime && !path.isAbsolute(input.runtime.runtime)) throw invalid(`${what}: runtime "${input.runtime.runtime}" must be an absolute path`);
    return this.d.lock.run(`${ns}/${id}`, async () => {
      if (this.d.store.get(ns, id)) throw exists(`container ${id} already exists in namespace ${ns}`);
      const now = nowNs();
      const rec: ContainerRecord = { ...input, id, labels: { ...input.labels }, createdAt: now, updatedAt: now };
      await this.d.store.put(ns, rec);
      this.d.exchange.publish({ namespace: ns, topic: '/containers/create', containerId: id });
      return rec;
    });
  }

  get(ns: string, id: string): ContainerRecord {
    return this.need(ns, id);
  }

  list(ns: string, filters: readonly string[]): ContainerRecord[] {
    const parsed = parseFilters(filters);
    return this.d.store.list(ns).filter((c) => matches(parsed, c));
  }

  async update(ns: string, input: Pick<ContainerInput, 'id' | 'labels' | 'spec'>, mask: readonly string[]): Promise<ContainerRecord> {
    const id = input.id;
    this.need(ns, id);
    const fields = mask.length ? mask : ['labels', ...(input.spec ? ['spec'] : [])];
    for (const f of fields) {
      if (f !== 'labels' && f !== 'spec' && !f.startsWith('labels.')) throw invalid(`container ${id}: cannot update "${f}" (labels, labels.KEY or spec)`);
    }
    if (fields.includes('spec')) parseSpec(input.spec, `container ${id}`);
    return this.d.lock.run(`${ns}/${id}`, async () => {
      const old = this.need(ns, id);
      const rec: ContainerRecord = { ...old, labels: { ...old.labels }, updatedAt: nowNs() };
      for (const f of fields) {
        if (f === 'labels') rec.labels = { ...input.labels };
        else if (f === 'spec') rec.spec = input.spec;
        else {
          const key = f.slice('labels.'.length);
          const v = input.labels[key];
          if (v === undefined) delete rec.labels[key];
          else rec.labels[key] = v;
        }
      }
      await this.d.store.put(ns, rec);
      this.d.exchange.publish({ namespace: ns, topic: '/containers/update', containerId: id });
      return rec;
    });
  }

  async delete(ns: string, id: string): Promise<void> {
    this.need(ns, id);
    await this.d.lock.run(`${ns}/${id}`, async () => {
      this.need(ns, id);
      if (this.d.hasTask(ns, id)) throw precondition(`container ${id} has a task: delete the task first`);
      await this.d.store.remove(ns, id);
      this.d.exchange.publish({ namespace: ns, topic: '/containers/delete', containerId: id });
    });
  }
}
