// A CgroupIo over an ordinary directory that behaves like cgroupfs where cgroup code depends on it, for unit tests
// without root: mkdir makes the kernel's files (v2: cgroup.controllers from the parent's subtree_control and the
// interface files of the controllers enabled there; v1: the files of the hierarchy root with their values there, but
// empty cpuset.cpus/mems and the parent's devices.list), rmdir refuses cgroups with children or processes (EBUSY) and
// drops the kernel's files, cgroup.procs refuses an empty cpuset (ENOSPC) and v2 "internal processes" (EBUSY),
// cgroup.subtree_control accepts only available controllers (ENOENT), devices.allow/deny update devices.list as the
// kernel does, and each cgroup2 directory keeps the device filter program set last (deviceFilters). It records
// mkdir/rmdir/write/bpf calls and fails on demand (failOn).
import * as fs from 'node:fs';
import * as path from 'node:path/posix';
import { errnoError } from './errors.js';
import { nodeIo, type CgroupIo } from './io.js';

export type FakeOp = 'mkdir' | 'rmdir' | 'write' | 'bpf';
export interface FakeCall {
  op: FakeOp;
  path: string;
  data?: string;
}

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

/** What a new v2 cgroup shows for each controller its parent enables (hugetlb with 2MB and 1GB pages, no BFQ). */
const V2_FILES: Readonly<Record<string, Record<string, string>>> = {
  cpu: { 'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  memory: { 'memory.max': 'max\n', 'memory.high': 'max\n', 'memory.low': '0\n', 'memory.swap.max': 'max\n', 'memory.current': '0\n' },
  io: { 'io.weight': 'default 100\n', 'io.max': '' },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  hugetlb: { 'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.rsvd.max': 'max\n', 'hugetlb.1GB.max': 'max\n', 'hugetlb.1GB.rsvd.max': 'max\n' },
  rdma: { 'rdma.max': '' },
};

/** The kernel's devices cgroup (v1): "a" resets to allow-all or deny-all; otherwise exceptions merge or shrink. */
function devicesWrite(list: string, file: 'devices.allow' | 'devices.deny', rule: string): string {
  const [type, majMin, access] = words(rule);
  if (type === 'a') return file === 'devices.allow' ? 'a *:* rwm\n' : '';
  const lines = list.split('\n').filter((l) => l.trim() !== '');
  if (lines.includes('a *:* rwm')) return list;
  const key = `${type} ${majMin}`;
  const at = lines.findIndex((l) => l.startsWith(`${key} `));
  const old = at < 0 ? '' : (lines[at] ?? '').slice(key.length + 1);
  const perms = file === 'devices.allow' ? [...'rwm'].filter((p) => old.includes(p) || access?.includes(p)) : [...old].filter((p) => !access?.includes(p));
  const line = perms.length === 0 ? undefined : `${key} ${perms.join('')}`;
  if (at < 0 && line) lines.push(line);
  else if (at >= 0) lines.splice(at, 1, ...(line ? [line] : []));
  return lines.map((l) => `${l}\n`).join('');
}

function seedFiles(dir: string, files: Record<string, string>): void {
  for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), value);
}

export class FakeCgroupFs implements CgroupIo {
  readonly calls: FakeCall[] = [];
  /** cgroup2 directory -> the device filter program (struct bpf_insn[]) attached last. */
  readonly deviceFilters = new Map<string, Uint8Array>();
  private readonly failures: { op: FakeOp; match: (p: string) => boolean; code: string }[] = [];

  /**
   * Makes dir the root of a v1 hierarchy; with cpuset values it is a cpuset hierarchy. `files` are the controller's
   * files with the values new cgroups start with (e.g. {'memory.limit_in_bytes': '9223372036854771712\n'}).
   */
  static seedV1(dir: string, opts: { cpuset?: { cpus: string; mems: string }; files?: Record<string, string> } = {}): void {
    fs.mkdirSync(dir, { recursive: true });
    seedFiles(dir, { 'cgroup.procs': '', ...opts.files });
    if (opts.cpuset) seedFiles(dir, { 'cpuset.cpus': `${opts.cpuset.cpus}\n`, 'cpuset.mems': `${opts.cpuset.mems}\n` });
  }

  /** Makes dir a cgroup2 directory with these controllers available and enabled for children. */
  static seedV2(dir: string, available: string[], enabled: string[] = []): void {
    fs.mkdirSync(dir, { recursive: true });
    seedFiles(dir, {
      'cgroup.controllers': `${available.join(' ')}\n`,
      'cgroup.subtree_control': `${enabled.join(' ')}\n`,
      'cgroup.procs': '',
      'cgroup.events': 'populated 0\nfrozen 0\n',
      'cgroup.freeze': '0\n',
      'cgroup.kill': '',
    });
  }

  /** The next matching call fails with errno `code`; `match` is a path suffix or a predicate. */
  failOn(op: FakeOp, match: string | ((p: string) => boolean), code: string): this {
    this.failures.push({ op, match: typeof match === 'string' ? (p) => p.endsWith(match) : match, code });
    return this;
  }

  private enter(op: FakeOp, p: string, data?: string): void {
    this.calls.push(data === undefined ? { op, path: p } : { op, path: p, data });
    const i = this.failures.findIndex((f) => f.op === op && f.match(p));
    const f = this.failures[i];
    if (f) {
      this.failures.splice(i, 1);
      throw errnoError(op, p, f.code, data === undefined ? {} : { data });
    }
  }

  private isRoot(dir: string): boolean {
    return !fs.existsSync(path.join(path.dirname(dir), 'cgroup.procs'));
  }

  mkdir(p: string): void {
    this.enter('mkdir', p);
    nodeIo.mkdir(p);
    const parent = path.dirname(p);
    if (fs.existsSync(path.join(parent, 'cgroup.controllers'))) {
      const enabled = words(fs.readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8'));
      FakeCgroupFs.seedV2(p, enabled);
      for (const c of enabled) seedFiles(p, V2_FILES[c] ?? {});
      return;
    }
    let root = parent;
    while (!this.isRoot(root)) root = path.dirname(root);
    for (const f of fs.readdirSync(root, { withFileTypes: true })) {
      if (f.isFile()) fs.copyFileSync(path.join(root, f.name), path.join(p, f.name));
    }
    seedFiles(p, { 'cgroup.procs': '' });
    if (fs.existsSync(path.join(parent, 'cpuset.cpus'))) seedFiles(p, { 'cpuset.cpus': '', 'cpuset.mems': '' });
    if (fs.existsSync(path.join(parent, 'devices.list'))) fs.copyFileSync(path.join(parent, 'devices.list'), path.join(p, 'devices.list'));
  }

  rmdir(p: string): void {
    this.enter('rmdir', p);
    if (!fs.existsSync(p)) throw errnoError('rmdir', p, 'ENOENT');
    const procs = path.join(p, 'cgroup.procs');
    if (nodeIo.subdirs(p).length > 0 || (fs.existsSync(procs) && fs.readFileSync(procs, 'utf8').trim() !== '')) {
      throw errnoError('rmdir', p, 'EBUSY');
    }
    for (const f of fs.readdirSync(p)) fs.unlinkSync(path.join(p, f));
    nodeIo.rmdir(p);
    this.deviceFilters.delete(p);
  }

  read(p: string): string {
    return nodeIo.read(p);
  }

  write(p: string, data: string): void {
    this.enter('write', p, data);
    if (!fs.existsSync(p)) throw errnoError('write', p, 'ENOENT', { data });
    const dir = path.dirname(p);
    const file = (name: string): string => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : '');
    switch (path.basename(p)) {
      case 'cgroup.procs': {
        if (!/^\d+$/.test(data.trim())) throw errnoError('write', p, 'EINVAL', { data });
        if (fs.existsSync(path.join(dir, 'cpuset.cpus')) && (file('cpuset.cpus').trim() === '' || file('cpuset.mems').trim() === '')) {
          throw errnoError('write', p, 'ENOSPC', { data });
        }
        if (!this.isRoot(dir) && words(file('cgroup.subtree_control')).length > 0) throw errnoError('write', p, 'EBUSY', { data });
        const pids = words(file('cgroup.procs'));
        if (!pids.includes(data.trim())) fs.writeFileSync(p, [...pids, data.trim()].map((x) => `${x}\n`).join(''));
        return;
      }
      case 'cgroup.subtree_control': {
        const available = words(file('cgroup.controllers'));
        const enabled = new Set(words(file('cgroup.subtree_control')));
        for (const tok of words(data)) {
          const name = tok.slice(1);
          if (!/^[+-]\w+$/.test(tok)) throw errnoError('write', p, 'EINVAL', { data });
          if (!available.includes(name)) throw errnoError('write', p, 'ENOENT', { data });
          if (tok.startsWith('+') && !this.isRoot(dir) && file('cgroup.procs').trim() !== '') throw errnoError('write', p, 'EBUSY', { data });
          if (tok.startsWith('+')) enabled.add(name);
          else enabled.delete(name);
        }
        fs.writeFileSync(p, `${available.filter((c) => enabled.has(c)).join(' ')}\n`);
        return;
      }
      case 'cpuset.cpus':
      case 'cpuset.mems': {
        // v1 only (v2 takes any list): a value must be a subset of the parent's, so an empty parent refuses all.
        const parentFile = path.join(path.dirname(dir), path.basename(p));
        const v1 = !fs.existsSync(path.join(dir, 'cgroup.controllers'));
        if (v1 && !this.isRoot(dir) && fs.existsSync(parentFile) && data.trim() !== '' && fs.readFileSync(parentFile, 'utf8').trim() === '') {
          throw errnoError('write', p, 'EACCES', { data });
        }
        fs.writeFileSync(p, data);
        return;
      }
      case 'cpu.shares': {
        const n = BigInt(data.trim());
        fs.writeFileSync(p, `${n < 2n ? 2n : n > 262144n ? 262144n : n}\n`);
        return;
      }
      case 'memory.limit_in_bytes':
      case 'memory.memsw.limit_in_bytes': {
        // The kernel keeps memsw.limit >= limit at all times; -1 means no limit and reads back as the largest value.
        const NONE = 9223372036854771712n;
        const value = (s: string): bigint => (s.trim() === '-1' ? NONE : BigInt(s.trim()));
        const isSwap = path.basename(p) === 'memory.memsw.limit_in_bytes';
        const other = file(isSwap ? 'memory.limit_in_bytes' : 'memory.memsw.limit_in_bytes');
        if (other.trim() !== '' && (isSwap ? value(data) < value(other) : value(data) > value(other))) throw errnoError('write', p, 'EINVAL', { data });
        fs.writeFileSync(p, `${value(data)}\n`);
        return;
      }
      case 'devices.allow':
      case 'devices.deny':
        if (!/^[abc] (\d+|\*):(\d+|\*) [rwm]+$/.test(data.trim())) throw errnoError('write', p, 'EINVAL', { data });
        fs.writeFileSync(path.join(dir, 'devices.list'), devicesWrite(file('devices.list'), path.basename(p) as 'devices.allow' | 'devices.deny', data.trim()));
        return;
      default:
        fs.writeFileSync(p, data);
    }
  }

  /** Like the kernel: only an existing cgroup2 directory takes a program (a v1 directory's fd gives EBADF). */
  setDeviceFilter(dir: string, program: Uint8Array): void {
    this.enter('bpf', dir);
    if (!fs.existsSync(dir)) throw errnoError('open', dir, 'ENOENT');
    if (!fs.existsSync(path.join(dir, 'cgroup.controllers'))) throw errnoError('bpf', dir, 'EBADF');
    this.deviceFilters.set(dir, Uint8Array.from(program));
  }

  subdirs(p: string): string[] {
    return nodeIo.subdirs(p);
  }

  exists(p: string): boolean {
    return nodeIo.exists(p);
  }
}
