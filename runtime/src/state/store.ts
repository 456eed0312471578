// Container state on disk: <root>/<id>/state.json (written to a temp file, fsynced, renamed) plus the exec fifo
// that marks a created-but-not-started container. The pid is recorded with its start time so that a reused pid
// is never mistaken for the container.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hooks, Spec, State, Status } from '../config/spec.js';
import { OCI_VERSION } from '../config/spec.js';
import { TsrunError } from '../errors.js';

export interface ContainerRecord {
  id: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the container started (clock ticks since boot). */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  cgroupPaths: Record<string, string>;
  /** The cgroup directories create made (delete removes only these). */
  cgroupCreated?: string[];
  hooks?: Hooks;
  /** The config the container was created from (exec, update and the next issues read it). */
  config: Spec;
  /** Created with --no-new-keyring: exec then leaves the session keyring alone too. */
  noNewKeyring?: boolean;
  /** No mount namespace: the container's mounts live in the runtime's namespace, under the rootfs. */
  hostMounts?: boolean;
  /** Set until the native stage reports ready: the container is still being created. */
  creating?: boolean;
}

const ID_PATTERN = /^[\w+\-.]+$/;

export function validateId(id: string): void {
  if (!id) throw new TsrunError('usage', 'container id cannot be empty');
  if (id === '.' || id === '..' || !ID_PATTERN.test(id)) {
    throw new TsrunError('usage', `invalid container id ${JSON.stringify(id)}: only letters, digits, '_', '+', '-' and '.' are allowed`);
  }
}

export class Store {
  constructor(readonly root: string) {}

  dir(id: string): string {
    validateId(id);
    return path.join(this.root, id);
  }

  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Creates the state dir; fails when the id is taken. */
  reserve(id: string): string {
    const dir = this.dir(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError('exists', `container with id ${id} already exists`);
      throw e;
    }
    return dir;
  }

  /** Atomic replace; `durable` also fsyncs (the record of a container still being created need not survive a crash). */
  write(rec: ContainerRecord, durable = true): void {
    const dir = this.dir(rec.id);
    const tmp = path.join(dir, `.state.json.${process.pid}`);
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(rec));
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(dir, 'state.json'));
  }

  read(id: string): ContainerRecord {
    const file = path.join(this.dir(id), 'state.json');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new TsrunError('not_found', `container ${id} does not exist`);
      throw e;
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch (e) {
      throw new TsrunError('not_found', `container ${id}: corrupt state file ${file}: ${(e as Error).message}`);
    }
  }

  remove(id: string): void {
    fs.rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return fs
        .readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && ID_PATTERN.test(d.name) && fs.existsSync(path.join(this.root, d.name, 'state.json')))
        .map((d) => d.name)
        .sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
}

/** Start time of a process (field 22 of /proc/<pid>/stat) and whether it is a zombie; undefined if gone. */
export function procStat(pid: number): { startTime: number; zombie: boolean } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields resume after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { startTime: Number(rest[19]), zombie: rest[0] === 'Z' || rest[0] === 'X' };
}

export function isAlive(rec: Pick<ContainerRecord, 'pid' | 'startTime'>): boolean {
  if (rec.pid <= 0) return false;
  const st = procStat(rec.pid);
  return st !== undefined && !st.zombie && st.startTime === rec.startTime;
}

export function freezerState(rec: Pick<ContainerRecord, 'cgroupPaths'>): 'FROZEN' | 'THAWED' {
  const v1 = rec.cgroupPaths.freezer;
  try {
    if (v1) return fs.readFileSync(path.join(v1, 'freezer.state'), 'utf8').trim() === 'FROZEN' ? 'FROZEN' : 'THAWED';
    const v2 = rec.cgroupPaths.unified ?? rec.cgroupPaths[''];
    if (v2 && fs.readFileSync(path.join(v2, 'cgroup.freeze'), 'utf8').trim() === '1') return 'FROZEN';
  } catch {
    // no freezer: never paused
  }
  return 'THAWED';
}

export function statusOf(store: Store, rec: ContainerRecord): Status {
  if (!isAlive(rec)) return 'stopped';
  if (rec.creating) return 'creating';
  if (fs.existsSync(store.fifo(rec.id))) return 'created';
  return freezerState(rec) === 'FROZEN' ? 'paused' : 'running';
}

/** The OCI state document (runtime.md "State"); runc adds rootfs, created and owner, which engines read. */
export function stateDocument(store: Store, rec: ContainerRecord): State & { rootfs: string; created: string; owner: string } {
  const status = statusOf(store, rec);
  return {
    ociVersion: OCI_VERSION,
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: rec.owner,
    ...(rec.annotations ? { annotations: rec.annotations } : {}),
  };
}

/** Takes the per-id lock (flock on the state dir); released when the process exits or close() is called. */
export function lockDir(dir: string, flock: (fd: number, what: string) => void): { close(): void } {
  const fd = fs.openSync(dir, 'r');
  flock(fd, dir);
  let open = true;
  return {
    close: () => {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}
