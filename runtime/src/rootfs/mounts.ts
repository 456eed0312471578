// config.json mounts -> mount ops inside the rootfs, in order (config.md "Mounts"; runc's mountToRootfs, tmpcopyup too).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mount } from '../config/spec.js';
import type { Create, Op } from '../plan/ops.js';
import { TsrunError } from '../errors.js';
import { MS, parseMountOptions } from './mount-options.js';
import { resolveInRoot } from './resolve.js';

/** A cgroup hierarchy as the container sees it: its name under the cgroup mount and the container's host dir. */
export interface CgroupHierarchy {
  /** Directory name under the container's cgroup mount, e.g. "memory", "cpu,cpuacct", "systemd", "unified". */
  name: string;
  /** Filesystem type: "cgroup" (v1) or "cgroup2". */
  fstype: 'cgroup' | 'cgroup2';
  /** Mount data for a fresh v1 mount, e.g. "memory" or "none,name=systemd". */
  data: string;
  /** The container's cgroup directory on the host in this hierarchy. */
  dir: string;
  /** Extra names that should be symlinks to this one (cpu and cpuacct for "cpu,cpuacct"). */
  aliases: string[];
}

export interface MountContext {
  bundle: string;
  userns: boolean;
  cgroupns: boolean;
  /** The host's layout: v2 means one unified hierarchy mounted directly at the cgroup mount. */
  cgroupMode: 'v1' | 'v2';
  hierarchies: CgroupHierarchy[];
  /** The rootfs on the host, to read the mode of a directory a tmpfs will cover. */
  rootfs?: string;
}

const PROPAGATION_MASK = MS.SHARED | MS.SLAVE | MS.PRIVATE | MS.UNBINDABLE;
/** Flags of a mount point (not of its filesystem): what a bind remount can change. */
const PER_MOUNT_FLAGS = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME;

function where(i: number): string {
  return `config.json: mounts[${i}]`;
}

function bindSource(m: Mount, ctx: MountContext, i: number): { source: string; create: Create } {
  if (!m.source) throw new TsrunError('invalid_config', `${where(i)}.source: required for a bind mount`);
  const source = path.resolve(ctx.bundle, m.source);
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new TsrunError('invalid_config', `${where(i)}.source: ${source}: ${code === 'ENOENT' ? 'no such file or directory' : code}`);
  }
  return { source, create: st.isDirectory() ? 'dir' : 'file' };
}

/**
 * A tmpfs over an existing directory keeps that directory's mode (runc chmods it; a tmpfs root is 1777 otherwise),
 * unless the options name a mode. Read at plan time: the mode of the image's directory is data, not a path to trust.
 */
function coveredDirMode(ctx: MountContext, target: string): number | undefined {
  if (!ctx.rootfs) return undefined;
  try {
    const st = fs.statSync(resolveInRoot(ctx.rootfs, target));
    return st.isDirectory() ? st.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/** Ops for one mount; `flags` hold everything but propagation, which always needs separate calls. */
function mountOps(m: Mount, ctx: MountContext, i: number): Op[] {
  const { flags, propagation, data, extensions } = parseMountOptions(m.options);
  const target = m.destination;
  const type = m.type ?? '';
  const isBind = type === 'bind' || (flags & MS.BIND) !== 0;
  // runc ignores tmpcopyup on other types; it can only be a mistake there, so say so.
  const copyup = extensions.has('tmpcopyup');
  if (copyup && (isBind || type !== 'tmpfs')) throw new TsrunError('invalid_config', `${where(i)}.options: "tmpcopyup" is only valid for tmpfs`);
  const ops: Op[] = [];
  if (isBind) {
    const { source, create } = bindSource(m, ctx, i);
    ops.push({ op: 'mount', scope: 'rootfs', source, target, fstype: '', flags: MS.BIND | (flags & MS.REC), data: '', create });
    // A bind mount ignores every other flag: they take effect only through a remount of the new mount.
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (rest !== 0) ops.push({ op: 'remount', scope: 'rootfs', target, flags: rest });
  } else if (type === 'cgroup' || type === 'cgroup2') {
    ops.push(...cgroupOps(target, flags, ctx));
  } else {
    if (!type) throw new TsrunError('invalid_config', `${where(i)}.type: required for a mount that is not a bind mount`);
    // tmpcopyup: keep the directory before the tmpfs covers it; a read-only tmpfs is made so after the copy, as runc does.
    if (copyup) ops.push({ op: 'copyup_open', target });
    const mountFlags = flags & ~MS.REMOUNT & ~(copyup ? MS.RDONLY : 0);
    const mode = type === 'tmpfs' && !data.some((d) => d.startsWith('mode=')) ? coveredDirMode(ctx, target) : undefined;
    const all = mode === undefined ? data : [...data, `mode=${mode.toString(8).padStart(4, '0')}`];
    ops.push({ op: 'mount', scope: 'rootfs', source: m.source ?? type, target, fstype: type, flags: mountFlags, data: all.join(','), create: 'dir' });
  }
  for (const p of propagation) {
    ops.push({ op: 'mount', scope: 'rootfs', source: '', target, fstype: '', flags: p & (PROPAGATION_MASK | MS.REC), data: '', create: 'none' });
  }
  if (copyup) {
    ops.push({ op: 'copyup', target });
    if (flags & MS.RDONLY) ops.push({ op: 'remount', scope: 'rootfs', target, flags: flags & PER_MOUNT_FLAGS });
  }
  return ops;
}

/**
 * A cgroup mount shows the container its own cgroups. With a cgroup namespace the kernel does that for a fresh
 * mount; without one, the container's host cgroup directories are bind-mounted (runc does the same).
 */
function cgroupOps(dest: string, flags: number, ctx: MountContext): Op[] {
  const ro = flags & MS.RDONLY;
  const base = flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME | MS.NOATIME | MS.STRICTATIME);
  if (ctx.cgroupMode === 'v2') {
    const h = ctx.hierarchies[0];
    if (!h) return [];
    if (ctx.cgroupns) {
      return [{ op: 'mount', scope: 'rootfs', source: 'cgroup2', target: dest, fstype: 'cgroup2', flags: base | ro, data: '', create: 'dir' }];
    }
    const ops: Op[] = [{ op: 'mount', scope: 'rootfs', source: h.dir, target: dest, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'dir' }];
    if (base | ro) ops.push({ op: 'remount', scope: 'rootfs', target: dest, flags: base | ro });
    return ops;
  }
  const ops: Op[] = [
    { op: 'mount', scope: 'rootfs', source: 'tmpfs', target: dest, fstype: 'tmpfs', flags: base, data: 'mode=755', create: 'dir' },
  ];
  for (const h of ctx.hierarchies) {
    const sub = path.posix.join(dest, h.name);
    if (ctx.cgroupns) {
      ops.push({ op: 'mount', scope: 'rootfs', source: 'cgroup', target: sub, fstype: h.fstype, flags: base | ro, data: h.data, create: 'dir' });
    } else {
      ops.push({ op: 'mount', scope: 'rootfs', source: h.dir, target: sub, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'dir' });
      ops.push({ op: 'remount', scope: 'rootfs', target: sub, flags: base | ro });
    }
    for (const alias of h.aliases) ops.push({ op: 'symlink', target: h.name, path: path.posix.join(dest, alias) });
  }
  if (ro) ops.push({ op: 'remount', scope: 'rootfs', target: dest, flags: base | ro });
  return ops;
}

export function planMounts(mounts: readonly Mount[], ctx: MountContext): Op[] {
  return mounts.flatMap((m, i) => {
    if (!path.posix.isAbsolute(m.destination)) {
      // runc accepts relative destinations and resolves them from the rootfs; so do we, but say so in the plan.
      return mountOps({ ...m, destination: `/${m.destination}` }, ctx, i);
    }
    return mountOps(m, ctx, i);
  });
}
