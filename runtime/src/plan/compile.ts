// config.json (validated) -> exec plan. The container's init sequence reads as a checklist of named steps, in the
// order runc's init runs them; one unit test pins the order. Every decision is made here, none in the native stage.
import type { Hook, Spec } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { CLONE_FLAGS, planNamespaces } from '../namespaces/index.js';
import { capabilityMask } from '../process/capabilities.js';
import { planRlimits } from '../process/rlimits.js';
import { idMapWriters } from '../rootless.js';
import { seccompOp } from '../seccomp/op.js';
import { checkNetDevices } from '../namespaces/netdevices.js';
import { type LsmHost, checkLsm, detectLsm, labelMounts, lsmExecOps } from '../process/lsm.js';
import { schedOps } from '../process/sched.js';
import { envValue, withDefaults } from '../process/user.js';
import { planDevices, planDevSymlinks } from '../rootfs/devices.js';
import { MS, PROPAGATION } from '../rootfs/mount-options.js';
import { type CgroupHierarchy, planMounts } from '../rootfs/mounts.js';
import type { Op, Plan } from './ops.js';

export interface PlanOptions {
  id: string;
  bundle: string;
  rootfs: string;
  /** The exec fifo that `start` opens; the init blocks on it before exec. */
  fifo: string;
  consoleSocket?: string;
  /** fds passed through socket activation (LISTEN_FDS), placed from fd 3. */
  listenFds: number;
  /** --preserve-fds: fds after the listen fds that the container keeps. */
  preserveFds: number;
  noPivot: boolean;
  noNewKeyring: boolean;
  cgroupMode: 'v1' | 'v2';
  hierarchies: CgroupHierarchy[];
  warn: (message: string) => void;
  /** The directory of compiled seccomp programs (seccomp/cache.ts); none: compile every time. */
  seccompCache?: string;
  /** Where the parent stage places the container: v1 tasks files it joins, a cgroup2 dir the init is cloned into. */
  cgroupJoin?: { tasks: string[]; cgroup2?: string };
  /** The runtime's effective ids, which decide how a new user namespace's maps are written (default: root). */
  caller?: { euid: number; egid: number };
  /** linux.intelRdt: the resctrl tasks file the parent stage joins (intelrdt/resctrl.ts). */
  resctrlTasks?: string;
  /** Which LSMs the host has enabled (process/lsm.ts); the host's own when absent. */
  lsm?: () => LsmHost;
}

export interface Step {
  name: string;
  ops: (spec: Spec, o: PlanOptions, ctx: Ctx) => Op[];
}

interface Ctx {
  userns: boolean;
  /** A new mount namespace: without one (runc allows it) mounts land in the runtime's namespace. */
  mountns: boolean;
  newNs: Set<string>;
  /** Namespaces joined by path. */
  joined: Set<string>;
}

/** Whether the container's filter notifies a seccomp agent (and so is handed over to listenerPath). */
function hasListener(spec: Spec): boolean {
  return (spec.linux?.seccomp?.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY');
}

function hookOps(kind: 'createContainer' | 'startContainer', hooks: Hook[] | undefined): Op[] {
  return (hooks ?? []).map((h) => ({ op: 'hook', kind, path: h.path, args: h.args ?? [], env: h.env ?? [], timeout: h.timeout ?? 0 }) satisfies Op);
}

function proc(spec: Spec): NonNullable<Spec['process']> {
  if (!spec.process) throw new TsrunError('invalid_config', 'config.json: process: required to create a container');
  return spec.process;
}

function hasBindDev(spec: Spec): boolean {
  return (spec.mounts ?? []).some((m) => m.destination.replace(/\/+$/, '') === '/dev' && (m.type === 'bind' || (m.options ?? []).some((x) => x === 'bind' || x === 'rbind')));
}

function rootPropagation(spec: Spec): number | undefined {
  const p = spec.linux?.rootfsPropagation;
  if (!p) return undefined;
  const flag = PROPAGATION[p];
  if (flag === undefined) throw new TsrunError('invalid_config', `config.json: linux.rootfsPropagation: unknown value "${p}"`);
  return flag;
}

/** The container init's checklist, in order. */
export const STEPS: readonly Step[] = [
  {
    // A cgroup namespace rooted at the container's cgroups: unshared by the init once it is in them (clone3 with
    // CLONE_INTO_CGROUP would root a namespace created in the same call at the parent's cgroup).
    name: 'cgroup namespace',
    ops: (_s, _o, c) => (c.newNs.has('cgroup') ? [{ op: 'unshare', flags: CLONE_FLAGS.cgroup }] : []),
  },
  {
    name: 'become root in the user namespace',
    ops: (_s, _o, c) => (c.userns ? [{ op: 'setresgid', gid: 0 }, { op: 'setresuid', uid: 0 }] : []),
  },
  // Devices and created mount points get exactly the modes the plan names; the process umask comes later.
  { name: 'new session and no umask', ops: () => [{ op: 'setsid' }, { op: 'umask', mask: 0 }] },
  // tsrun moves the devices into the init's network namespace while the init waits (namespaces/netdevices.ts).
  { name: 'network devices', ops: (s) => (Object.keys(s.linux?.netDevices ?? {}).length > 0 ? [{ op: 'sync', name: 'netdevices' }] : []) },
  { name: 'session keyring', ops: (_s, o) => (o.noNewKeyring ? [] : [{ op: 'keyring', name: `_ses.${o.id}` }]) },
  {
    name: 'prepare root',
    ops: (_s, o, c) => !c.mountns ? [
      // runc binds the rootfs onto itself in the runtime's namespace too; delete takes it down (host-mounts.ts)
      { op: 'mount', scope: 'host', source: o.rootfs, target: o.rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'none' },
      { op: 'rootfs', path: o.rootfs },
    ] : [
      // Always rslave while setting up: nothing the container mounts can reach the host, and the rootfs can be
      // bound and pivoted whatever its propagation. linux.rootfsPropagation is applied to the new / after pivot.
      { op: 'mount', scope: 'host', source: '', target: '/', fstype: '', flags: MS.SLAVE | MS.REC, data: '', create: 'none' },
      { op: 'mount', scope: 'host', source: o.rootfs, target: o.rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'none' },
      { op: 'rootfs', path: o.rootfs },
    ],
  },
  {
    name: 'mounts',
    ops: (s, o, c) => labelMounts(planMounts(s.mounts ?? [], { bundle: o.bundle, rootfs: o.rootfs, userns: c.userns, cgroupns: c.newNs.has('cgroup'), cgroupMode: o.cgroupMode, hierarchies: o.hierarchies }), s.linux?.mountLabel),
  },
  {
    name: 'devices',
    ops: (s, _o, c) => (hasBindDev(s) ? [] : [...planDevices(s.linux?.devices ?? [], c.userns), ...planDevSymlinks()]),
  },
  {
    // The init waits here while tsrun runs them, and gets the state for the hooks it runs itself.
    name: 'prestart and createRuntime hooks (runtime namespace)',
    ops: (s) => (['prestart', 'createRuntime', 'createContainer', 'startContainer'] as const).some((k) => (s.hooks?.[k]?.length ?? 0) > 0) ? [{ op: 'sync', name: 'hooks' }] : [],
  },
  { name: 'createContainer hooks', ops: (s) => hookOps('createContainer', s.hooks?.createContainer) },
  { name: 'change root', ops: (_s, o, c) => [!c.mountns ? { op: 'chroot_only' } : o.noPivot ? { op: 'chroot' } : { op: 'pivot_root' }] },
  {
    name: 'root propagation and read-only root',
    ops: (s) => {
      const ops: Op[] = [];
      const prop = rootPropagation(s);
      if (prop !== undefined) ops.push({ op: 'mount', scope: 'container', source: '', target: '/', fstype: '', flags: prop, data: '', create: 'none' });
      if (s.root?.readonly) ops.push({ op: 'remount', scope: 'container', target: '/', flags: MS.RDONLY });
      return ops;
    },
  },
  {
    name: 'hostname',
    ops: (s, _o, c) => {
      const ops: Op[] = [];
      for (const [field, op] of [['hostname', 'hostname'], ['domainname', 'domainname']] as const) {
        const name = s[field];
        if (name === undefined) continue;
        // As runc: a uts namespace joined by path gets the name too.
        if (!c.newNs.has('uts') && !c.joined.has('uts')) throw new TsrunError('invalid_config', `config.json: ${field}: requires a uts namespace`);
        ops.push({ op, name });
      }
      return ops;
    },
  },
  {
    name: 'sysctl',
    ops: (s) => Object.entries(s.linux?.sysctl ?? {}).map(([k, v]) => ({ op: 'write', path: `/proc/sys/${k.replace(/\./g, '/')}`, data: v }) satisfies Op),
  },
  {
    name: 'read-only and masked paths',
    ops: (s) => [
      ...(s.linux?.readonlyPaths ?? []).map((p) => ({ op: 'readonly', path: p }) satisfies Op),
      ...(s.linux?.maskedPaths ?? []).map((p) => ({ op: 'mask', path: p }) satisfies Op),
    ],
  },
  {
    name: 'oom score',
    ops: (s) => (s.process?.oomScoreAdj === undefined ? [] : [{ op: 'write', path: '/proc/self/oom_score_adj', data: String(s.process.oomScoreAdj) }]),
  },
  {
    name: 'console',
    ops: (s, o) => {
      if (!proc(s).terminal) return [];
      if (!o.consoleSocket) throw new TsrunError('usage', 'config.json: process.terminal: a terminal needs --console-socket');
      const size = proc(s).consoleSize;
      return [{ op: 'console', rows: size?.height ?? 0, cols: size?.width ?? 0 }];
    },
  },
  // config-linux.md: the pty is bound over /dev/console. Not for exec (it picks steps by name), and not without a
  // mount namespace of the container's own, where the bind would land in the runtime's namespace.
  { name: 'console device', ops: (s, _o, c) => (proc(s).terminal && c.mountns ? [{ op: 'bind_console' }] : []) },
  { name: 'rlimits', ops: (s) => planRlimits(proc(s).rlimits) },
  { name: 'umask', ops: (s) => [{ op: 'umask', mask: proc(s).user.umask ?? 0o022 }] },
  // Before any filter is loaded: the check that follows chdir (CVE-2024-21626) needs getcwd, which a profile may deny
  // (runtime-tools' linux_seccomp denies it). As root, as runc's chdir (it retries as the user only on failure).
  { name: 'working directory', ops: (s) => [{ op: 'chdir', path: proc(s).cwd }] },
  { name: 'scheduler, I/O priority, personality and memory policy', ops: (s) => schedOps(s) },
  // Applied by the kernel at the execve; before seccomp, which may not allow the write (runc's order).
  { name: 'LSM labels for exec', ops: (s) => lsmExecOps(s.process) },
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before capabilities are dropped (runc).
  { name: 'seccomp (without no_new_privs)', ops: (s, o) => (s.linux?.seccomp && !proc(s).noNewPrivileges ? [seccompOp(s.linux.seccomp, { cacheDir: o.seccompCache })] : []) },
  {
    name: 'user and capabilities',
    ops: (s, o, c) => {
      const p = proc(s);
      const caps = p.capabilities ?? {};
      const mask = (set: string[] | undefined) => capabilityMask(set, o.warn).toString();
      const ops: Op[] = [{ op: 'keepcaps', on: true }, { op: 'capbset', keep: mask(caps.bounding) }];
      // With setgroups denied in a user namespace the kernel refuses setgroups(2); runc skips it there too.
      if (!c.userns || (p.user.additionalGids?.length ?? 0) > 0) ops.push({ op: 'setgroups', gids: p.user.additionalGids ?? [] });
      ops.push(
        { op: 'setresgid', gid: p.user.gid },
        { op: 'setresuid', uid: p.user.uid },
        { op: 'keepcaps', on: false },
        { op: 'capset', effective: mask(caps.effective), permitted: mask(caps.permitted), inheritable: mask(caps.inheritable) },
        // The kernel raises an ambient capability only when it is permitted and inheritable; runc ignores the
        // failure for the others, so the observable result is this intersection.
        { op: 'ambient', mask: (capabilityMask(caps.ambient, () => {}) & capabilityMask(caps.permitted, () => {}) & capabilityMask(caps.inheritable, () => {})).toString() },
      );
      return ops;
    },
  },
  {
    name: 'find the executable',
    ops: (s, o) => {
      const p = proc(s);
      const file = p.args?.[0];
      if (!file) throw new TsrunError('invalid_config', 'config.json: process.args: must contain at least the program to run');
      return [{ op: 'lookpath', file, path: envValue(containerEnv(s, o), 'PATH') ?? '' }];
    },
  },
  {
    // A filter with a listener is handed over to tsrun, which is gone once the init reports ready: load it just
    // before that, where runc loads every no_new_privs filter. The init's remaining syscalls (the ready message,
    // the exec fifo, startContainer hooks) then run under it.
    name: 'seccomp with a listener (with no_new_privs)',
    ops: (s, o) => (s.linux?.seccomp && proc(s).noNewPrivileges && hasListener(s) ? [{ op: 'nnp' }, seccompOp(s.linux.seccomp, { cacheDir: o.seccompCache })] : []),
  },
  { name: 'report ready and wait for start', ops: () => [{ op: 'ready' }, { op: 'fifo_wait' }] },
  { name: 'startContainer hooks', ops: (s) => hookOps('startContainer', s.hooks?.startContainer) },
  { name: 'no new privileges', ops: (s) => (proc(s).noNewPrivileges && !(s.linux?.seccomp && hasListener(s)) ? [{ op: 'nnp' }] : []) },
  // With no_new_privs the filter goes on last, so it constrains only the container's program.
  { name: 'seccomp (with no_new_privs)', ops: (s, o) => (s.linux?.seccomp && proc(s).noNewPrivileges && !hasListener(s) ? [seccompOp(s.linux.seccomp, { cacheDir: o.seccompCache })] : []) },
  { name: 'close inherited fds', ops: (_s, o) => [{ op: 'cloexec_from', fd: 3 + o.listenFds + o.preserveFds }] },
  { name: 'exec', ops: (s, o) => [{ op: 'exec', args: proc(s).args ?? [], env: containerEnv(s, o) }] },
];

function containerEnv(spec: Spec, o: PlanOptions): string[] {
  const p = proc(spec);
  const extra = o.listenFds > 0 ? [`LISTEN_FDS=${o.listenFds}`, 'LISTEN_PID=1'] : [];
  return withDefaults(p.env ?? [], o.rootfs, p.user.uid, extra);
}

function refuseUnsupported(spec: Spec): void {
  const linux = spec.linux ?? {};
  const refuse = (field: string, why: string) => {
    throw new TsrunError('unsupported', `config.json: ${field}: ${why}`);
  };
}

/** runc's rule: what cannot be confined to the container without its own mount namespace is refused. */
function refuseWithoutMountNs(spec: Spec): void {
  const why = 'needs a mount namespace (linux.namespaces has none)';
  if ((spec.linux?.maskedPaths?.length ?? 0) > 0) throw new TsrunError('invalid_config', `config.json: linux.maskedPaths: ${why}`);
  if ((spec.linux?.readonlyPaths?.length ?? 0) > 0) throw new TsrunError('invalid_config', `config.json: linux.readonlyPaths: ${why}`);
  if (spec.linux?.rootfsPropagation) throw new TsrunError('invalid_config', `config.json: linux.rootfsPropagation: ${why}`);
}

export function toPlan(spec: Spec, o: PlanOptions): Plan {
  refuseUnsupported(spec);
  // A label that cannot be applied is refused, never ignored.
  checkLsm(spec, spec.process, o.lsm ?? detectLsm);
  checkNetDevices(spec);
  if (spec.linux?.intelRdt && !o.resctrlTasks) throw new TsrunError('unsupported', 'config.json: linux.intelRdt: no resctrl group to join (the resctrl filesystem is not mounted)');
  proc(spec);
  const ns = planNamespaces(spec.linux ?? {});
  const mountns = ns.newNs.has('mount');
  if (!mountns && !ns.joined.has('mount')) refuseWithoutMountNs(spec);
  const ctx: Ctx = { mountns, userns: ns.newNs.has('user'), newNs: ns.newNs as Set<string>, joined: ns.joined as Set<string> };
  // Cgroups first, before joining namespaces by path: a joined mount namespace would hide the host's cgroupfs.
  const parent: Op[] = [
    ...(o.cgroupJoin?.tasks ?? []).map((path) => ({ op: 'join_cgroup', path }) satisfies Op),
    ...(o.cgroupJoin?.cgroup2 ? [{ op: 'clone_into', path: o.cgroupJoin.cgroup2 } satisfies Op] : []),
    ...(o.resctrlTasks ? [{ op: 'join_resctrl', path: o.resctrlTasks } satisfies Op] : []),
    ...ns.parentOps,
  ];
  if (spec.process?.terminal && o.consoleSocket) parent.push({ op: 'console_connect', path: o.consoleSocket });
  // Opened by the parent stage, which has the runtime's credentials: inside a user namespace the container's
  // root may not be able to reach the state directory.
  parent.push({ op: 'fifo_open', path: o.fifo });
  const w = ctx.userns ? idMapWriters({ uid: spec.linux?.uidMappings, gid: spec.linux?.gidMappings }, o.caller ?? { euid: 0, egid: 0 }) : undefined;
  const clone: Op = {
    op: 'clone', flags: ns.cloneFlags & ~CLONE_FLAGS.cgroup, uidMap: ns.uidMap, gidMap: ns.gidMap, setgroups: w?.setgroups ?? '',
    ...(w?.uidTool ? { uidTool: w.uidTool } : {}),
    ...(w?.gidTool ? { gidTool: w.gidTool } : {}),
  };
  parent.push(clone);
  const init = STEPS.flatMap((step) => step.ops(spec, o, ctx));
  return { ops: [...parent, ...init], extraFds: o.listenFds + o.preserveFds };
}
