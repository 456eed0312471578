// AppArmor and SELinux: process.apparmorProfile, process.selinuxLabel and linux.mountLabel. Applied when the host
// has the LSM enabled, refused with a one-line error naming the field when it has not (a label that cannot be
// applied is never ignored). Detection follows runc (go-selinux, runc's apparmor package): AppArmor is enabled when
// securityfs has /sys/kernel/security/apparmor and the module parameter says Y; SELinux when selinuxfs is mounted
// and the process has a context. The detector is a parameter of the plan, so unit tests can compile for a host with
// either LSM.
import * as fs from 'node:fs';
import type { Process, Spec } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import type { Op } from '../plan/ops.js';

export interface LsmHost {
  apparmor: boolean;
  selinux: boolean;
}

function read(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

let detected: LsmHost | undefined;

/** What this host has enabled; looked up once per process, and only when a config asks for a label. */
export function detectLsm(): LsmHost {
  if (detected) return detected;
  const apparmor = fs.existsSync('/sys/kernel/security/apparmor') && (read('/sys/module/apparmor/parameters/enabled') ?? '').startsWith('Y');
  const context = (read('/proc/self/attr/current') ?? '').replace(/\0/g, '').trim();
  const selinux = fs.existsSync('/sys/fs/selinux/enforce') && context !== '' && context !== 'kernel';
  detected = { apparmor, selinux };
  return detected;
}

// The per-thread file first (the init is single-threaded, but the kernel refuses a thread's write to another's
// attr), then the process file of kernels before 5.8 (AppArmor's own directory) or without attr/apparmor.
const APPARMOR_EXEC = ['/proc/thread-self/attr/apparmor/exec', '/proc/self/attr/apparmor/exec', '/proc/self/attr/exec'];
const SELINUX_EXEC = ['/proc/thread-self/attr/exec', '/proc/self/attr/exec'];

function refuse(field: string, why: string): never {
  throw new TsrunError('unsupported', `config.json: ${field}: ${why}`);
}

/** Refuses what the host cannot apply; called for create and exec alike. */
export function checkLsm(spec: Spec, p: Process | undefined, host: () => LsmHost): void {
  if (p?.apparmorProfile && !host().apparmor) refuse('process.apparmorProfile', 'AppArmor is not enabled on this host');
  if (p?.selinuxLabel && !host().selinux) refuse('process.selinuxLabel', 'SELinux is not enabled on this host');
  if (spec.linux?.mountLabel && !host().selinux) refuse('linux.mountLabel', 'SELinux is not enabled on this host');
  if (p?.apparmorProfile && /[\0\n]/.test(p.apparmorProfile)) refuse('process.apparmorProfile', 'must not contain NUL or newline');
  if (p?.selinuxLabel && /[\0\n]/.test(p.selinuxLabel)) refuse('process.selinuxLabel', 'must not contain NUL or newline');
  if (spec.linux?.mountLabel && /[\0\n"]/.test(spec.linux.mountLabel)) refuse('linux.mountLabel', 'must not contain NUL, newline or a double quote');
}

/** The labels the process gets at its execve: written to procfs by the native stage, applied by the kernel at exec. */
export function lsmExecOps(p: Process | undefined): Op[] {
  const ops: Op[] = [];
  if (p?.apparmorProfile) ops.push({ op: 'lsm_exec', data: `exec ${p.apparmorProfile}`, paths: APPARMOR_EXEC });
  if (p?.selinuxLabel) ops.push({ op: 'lsm_exec', data: p.selinuxLabel, paths: SELINUX_EXEC });
  return ops;
}

// runc labels every mount through its data but these: proc and sysfs (no context= there), mqueue (labelled by
// xattr after the mount in runc; left with its default label here) and cgroups. Bind mounts ignore data.
const UNLABELLED = new Set(['proc', 'sysfs', 'mqueue', 'cgroup', 'cgroup2']);
const MS_BIND = 0x1000;
const MS_REMOUNT = 0x20;

/** linux.mountLabel as a context= mount option on the container's new filesystems, as runc does. */
export function labelMounts(ops: Op[], label: string | undefined): Op[] {
  if (!label) return ops;
  return ops.map((o) => {
    if (o.op !== 'mount' || !o.fstype || UNLABELLED.has(o.fstype) || o.flags & (MS_BIND | MS_REMOUNT)) return o;
    const context = `context="${label}"`;
    return { ...o, data: o.data ? `${o.data},${context}` : context };
  });
}

