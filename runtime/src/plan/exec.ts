// `tsrun exec`: the process (config process + flags, or process.json) -> exec plan. The new process joins the
// running container: its cgroups (parent stage, before any namespace hides the host's cgroupfs), then every
// namespace of the container by /proc/<init pid>/ns/<type>, user first. setns into the pid namespace affects only
// children, so the parent stage's `clone` makes the exec'd process, inside it. No mounts and no change of root:
// after setns into the mount namespace the process is already at the container's root. There is no exec fifo:
// the plan reports ready (tsrun learns the pid) and goes straight on to exec. The process steps (console, rlimits,
// user, capabilities, seccomp, cwd, lookpath, exec) are create's own (compile.ts STEPS), picked by name.
import type { NamespaceType, Process, Spec } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { CLONE_FLAGS } from '../namespaces/index.js';
import { type LsmHost, checkLsm, detectLsm } from '../process/lsm.js';
import { affinityOps } from '../process/sched.js';
import { type PlanOptions, STEPS } from './compile.js';
import type { Op, Plan } from './ops.js';

/** Join order: user first, so the others are joined with its rights; mount last (it changes root and cwd). */
export const EXEC_JOIN_ORDER: readonly NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

/** The name of a namespace type under /proc/<pid>/ns/. */
export const PROC_NS_NAME: Record<NamespaceType, string> = {
  user: 'user',
  ipc: 'ipc',
  uts: 'uts',
  network: 'net',
  pid: 'pid',
  cgroup: 'cgroup',
  time: 'time',
  mount: 'mnt',
};

export interface ExecPlanOptions {
  id: string;
  rootfs: string;
  /** The container init, whose namespaces are joined. */
  initPid: number;
  /** The namespace types to join (those the container has and the runtime is not already in). */
  join: readonly NamespaceType[];
  /** Where the parent stage places the process (joinTargets of the container's cgroups, or a sub-cgroup). */
  cgroupJoin?: { tasks: string[]; cgroup2?: string };
  consoleSocket?: string;
  preserveFds: number;
  /** The directory of compiled seccomp programs (seccomp/cache.ts). */
  seccompCache?: string;
  /** The container was created with --no-new-keyring; otherwise exec joins its session keyring, as runc does. */
  noNewKeyring?: boolean;
  /** The container's resctrl tasks file (linux.intelRdt), joined as its cgroups are. */
  resctrlTasks?: string;
  lsm?: () => LsmHost;
  warn: (message: string) => void;
}

/** What the exec flags change in the container's config process (runc's exec without -p). */
export interface ExecOverrides {
  args: string[];
  env?: string[];
  cwd?: string;
  /** "uid[:gid]" */
  user?: string;
  additionalGids?: string[];
  caps?: string[];
  noNewPrivs?: boolean;
  tty?: boolean;
}

function uint(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new TsrunError('usage', `${what}: must be a number, not "${text}"`);
  return Number(text);
}

/** Last value wins for a repeated key, at the place of its first occurrence. */
function mergeEnv(env: readonly string[]): string[] {
  const out: string[] = [];
  const at = new Map<string, number>();
  for (const e of env) {
    const key = e.includes('=') ? e.slice(0, e.indexOf('=')) : e;
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, out.length);
      out.push(e);
    } else out[i] = e;
  }
  return out;
}

/** The config's process with the flags applied; the config itself is not changed. */
export function execProcess(base: Process | undefined, f: ExecOverrides): Process {
  if (!base) throw new TsrunError('invalid_config', 'config.json: process: the container has no process to base exec on (use -p)');
  if (f.args.length === 0) throw new TsrunError('usage', 'exec: a command to run (or -p process.json) is required');
  const p: Process = structuredClone(base);
  p.args = [...f.args];
  delete p.commandLine;
  p.terminal = f.tty ?? false;
  if (f.env?.length) {
    for (const e of f.env) if (!e.includes('=') || e.startsWith('=')) throw new TsrunError('usage', `--env: expected KEY=VALUE, not "${e}"`);
    p.env = mergeEnv([...(p.env ?? []), ...f.env]);
  }
  if (f.cwd) {
    if (!f.cwd.startsWith('/')) throw new TsrunError('usage', `--cwd: must be an absolute path, not "${f.cwd}"`);
    p.cwd = f.cwd;
  }
  if (f.user) {
    const [uid, gid, extra] = f.user.split(':');
    if (extra !== undefined || uid === undefined) throw new TsrunError('usage', `--user: expected uid[:gid], not "${f.user}"`);
    p.user = { ...p.user, uid: uint(uid, '--user'), gid: gid === undefined ? 0 : uint(gid, '--user') };
    delete p.user.username;
  }
  if (f.additionalGids?.length) p.user = { ...p.user, additionalGids: [...(p.user.additionalGids ?? []), ...f.additionalGids.map((g) => uint(g, '--additional-gids'))] };
  if (f.caps?.length) {
    const caps = { ...(p.capabilities ?? {}) };
    const add = (set: string[] | undefined, c: string) => (set?.includes(c) ? set : [...(set ?? []), c]);
    for (const raw of f.caps) {
      const c = raw.toUpperCase().startsWith('CAP_') ? raw.toUpperCase() : `CAP_${raw.toUpperCase()}`;
      caps.bounding = add(caps.bounding, c);
      caps.effective = add(caps.effective, c);
      caps.permitted = add(caps.permitted, c);
      // An ambient capability needs the inheritable bit; as runc, only where the config already has inheritable ones.
      if (caps.inheritable?.length) {
        caps.inheritable = add(caps.inheritable, c);
        caps.ambient = add(caps.ambient, c);
      }
    }
    p.capabilities = caps;
  }
  if (f.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

/** create's steps that make up an exec'd process, in create's order; `ready` (without the fifo) is placed where create's is. */
const PROCESS_STEPS = [
  'become root in the user namespace',
  'new session and no umask',
  'session keyring',
  'oom score',
  'console',
  'rlimits',
  'umask',
  'working directory',
  'scheduler, I/O priority, personality and memory policy',
  'LSM labels for exec',
  'seccomp (without no_new_privs)',
  'user and capabilities',
  'find the executable',
  'seccomp with a listener (with no_new_privs)',
  'no new privileges',
  'seccomp (with no_new_privs)',
  'close inherited fds',
  'exec',
] as const;

function step(name: string) {
  const s = STEPS.find((x) => x.name === name);
  if (!s) throw new Error(`exec plan: create has no step "${name}"`);
  return s;
}

export function toExecPlan(spec: Spec, proc: Process, o: ExecPlanOptions): Plan {
  checkLsm(spec, proc, o.lsm ?? detectLsm);
  if (!proc.args?.length) throw new TsrunError('invalid_config', 'process.args: must contain at least the program to run');
  const joined = new Set(o.join);
  if (proc.terminal && !o.consoleSocket) throw new TsrunError('usage', 'exec: a terminal (-t) needs --console-socket');
  // execCPUAffinity: `initial` before the cgroups are joined (a v1 cpuset resets the affinity), `final` after.
  const affinity = affinityOps(proc);
  // Host paths (cgroupfs, the console socket) are opened before the mount namespace is joined.
  const parent: Op[] = [
    ...(affinity.initial ? [affinity.initial] : []),
    ...(o.cgroupJoin?.tasks ?? []).map((path) => ({ op: 'join_cgroup', path }) satisfies Op),
    ...(o.cgroupJoin?.cgroup2 ? [{ op: 'clone_into', path: o.cgroupJoin.cgroup2 } satisfies Op] : []),
    ...(o.resctrlTasks ? [{ op: 'join_resctrl', path: o.resctrlTasks } satisfies Op] : []),
    ...(proc.terminal && o.consoleSocket ? [{ op: 'console_connect', path: o.consoleSocket } satisfies Op] : []),
    ...EXEC_JOIN_ORDER.filter((t) => joined.has(t)).map((t) => ({ op: 'setns', path: `/proc/${o.initPid}/ns/${PROC_NS_NAME[t]}`, nstype: CLONE_FLAGS[t] }) satisfies Op),
  ];
  parent.push({ op: 'clone', flags: 0, uidMap: '', gidMap: '', setgroups: '' });
  // A spec whose process is the one to run; the steps read nothing else of it but linux.seccomp.
  const s: Spec = { ...spec, process: proc };
  const po: PlanOptions = {
    id: o.id,
    bundle: '',
    rootfs: o.rootfs,
    fifo: '',
    consoleSocket: o.consoleSocket,
    listenFds: 0,
    preserveFds: o.preserveFds,
    noPivot: false,
    noNewKeyring: o.noNewKeyring ?? false,
    seccompCache: o.seccompCache,
    cgroupMode: 'v2',
    hierarchies: [],
    warn: o.warn,
  };
  const ctx = { userns: joined.has('user'), mountns: joined.has('mount'), newNs: new Set<string>(), joined: new Set<string>(o.join) };
  const child: Op[] = affinity.final ? [affinity.final] : [];
  for (const name of PROCESS_STEPS) {
    child.push(...step(name).ops(s, po, ctx));
    if (name === 'seccomp with a listener (with no_new_privs)') child.push({ op: 'ready' });
    // Without a mount namespace of its own the container's root is a directory of the host's: chroot into it.
    if (name === 'new session and no umask' && !joined.has('mount')) child.push({ op: 'rootfs', path: o.rootfs }, { op: 'chroot_only' });
  }
  return { ops: [...parent, ...child], extraFds: o.preserveFds };
}
