// The exec plan: the flat list of primitive operations that the native stage (runtime/native/tsrun-init.c)
// executes in order. TypeScript makes every decision while building this list; the native stage only runs it
// and reports (operation index, errno). See runtime/native/tsrun-init.c for the process/sync protocol.
//
// Ops before `clone` run in the parent stage (P, in the runtime's namespaces); `clone` creates the container
// init (C); every op after it runs in C. Paths in `rootfs` scope are resolved inside the rootfs with
// openat2(RESOLVE_IN_ROOT) and never leave it; `host` scope paths are used as given; `container` scope paths
// are resolved from "/" after pivot_root (inside the container).
//
// tmpcopyup (a tmpfs that starts with what the rootfs had at its destination) takes two ops around the mount:
// `copyup_open` resolves target in the rootfs (creating a directory if missing) and keeps an fd to it before the
// tmpfs covers it; `copyup`, after the mount of the same target, copies from that fd into the new tmpfs root
// (files, directories, symlinks, devices and fifos with owner, mode and times; sockets are skipped) with *at()
// calls only, never following a symlink, then closes the fd. One copyup_open is open at a time.

export type Scope = 'host' | 'rootfs' | 'container';

/** What to create at a mount target that does not exist yet. */
export type Create = 'dir' | 'file' | 'none';

export type Op =
  // parent stage
  | { op: 'setns'; path: string; nstype: number }
  | { op: 'unshare_time'; offsets: string }
  | { op: 'console_connect'; path: string }
  // Moves the calling thread (the single-threaded parent stage) into a cgroup v1 hierarchy by writing "0" to
  // its tasks file: unlike cgroup.procs this skips the kernel's global threadgroup lock and its RCU wait.
  | { op: 'join_cgroup'; path: string }
  // A cgroup2 directory the container init is cloned into (clone3 CLONE_INTO_CGROUP), for the same reason.
  | { op: 'clone_into'; path: string }
  | { op: 'clone'; flags: number; uidMap: string; gidMap: string; setgroups: 'allow' | 'deny' | '' }
  // container init stage
  | { op: 'unshare'; flags: number }
  | { op: 'setresgid'; gid: number }
  | { op: 'setresuid'; uid: number }
  | { op: 'setsid' }
  | { op: 'keyring'; name: string }
  | { op: 'rootfs'; path: string }
  | { op: 'mount'; scope: Scope; source: string; target: string; fstype: string; flags: number; data: string; create: Create }
  | { op: 'remount'; scope: Scope; target: string; flags: number }
  | { op: 'copyup_open'; target: string }
  | { op: 'copyup'; target: string }
  | { op: 'mknod'; path: string; mode: number; major: number; minor: number; uid: number; gid: number }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'fifo_open'; path: string }
  | { op: 'sync'; name: string }
  | { op: 'hook'; kind: string; path: string; args: string[]; env: string[]; timeout: number }
  | { op: 'pivot_root' }
  | { op: 'chroot' }
  | { op: 'chroot_only' }
  | { op: 'mask'; path: string }
  | { op: 'readonly'; path: string }
  | { op: 'hostname'; name: string }
  | { op: 'domainname'; name: string }
  | { op: 'write'; path: string; data: string }
  | { op: 'console'; rows: number; cols: number }
  | { op: 'rlimit'; resource: number; name: string; soft: string; hard: string }
  | { op: 'umask'; mask: number }
  | { op: 'chdir'; path: string }
  | { op: 'keepcaps'; on: boolean }
  | { op: 'capbset'; keep: string }
  | { op: 'setgroups'; gids: number[] }
  | { op: 'capset'; effective: string; permitted: string; inheritable: string }
  | { op: 'ambient'; mask: string }
  | { op: 'nnp' }
  | { op: 'seccomp'; flags: number; program: string }
  | { op: 'lookpath'; file: string; path: string }
  | { op: 'ready' }
  // After ready: waits for ["reparented"] (the parent stage has exited), then PR_SET_PDEATHSIG SIGKILL.
  | { op: 'parent_death' }
  | { op: 'fifo_wait' }
  | { op: 'cloexec_from'; fd: number }
  | { op: 'exec'; args: string[]; env: string[] };

export type OpName = Op['op'];

/** A compiled plan: what `tsrun create --dry-run` prints. */
export interface Plan {
  /** Operations in execution order. */
  ops: Op[];
  /** Number of fds (starting at 3) the container inherits in addition to stdio. */
  extraFds: number;
}

/** Encodes one op as the list of words the native stage reads; field order is the wire contract. */
export function opWords(o: Op): string[] {
  switch (o.op) {
    case 'setns': return [o.op, o.path, String(o.nstype)];
    case 'unshare_time': return [o.op, o.offsets];
    case 'console_connect': return [o.op, o.path];
    case 'join_cgroup': return [o.op, o.path];
    case 'clone_into': return [o.op, o.path];
    case 'clone': return [o.op, String(o.flags), o.uidMap, o.gidMap, o.setgroups];
    case 'unshare': return [o.op, String(o.flags)];
    case 'setresgid': return [o.op, String(o.gid)];
    case 'setresuid': return [o.op, String(o.uid)];
    case 'setsid': return [o.op];
    case 'keyring': return [o.op, o.name];
    case 'rootfs': return [o.op, o.path];
    case 'mount': return [o.op, o.scope, o.source, o.target, o.fstype, String(o.flags), o.data, o.create];
    case 'remount': return [o.op, o.scope, o.target, String(o.flags)];
    case 'copyup_open': return [o.op, o.target];
    case 'copyup': return [o.op, o.target];
    case 'mknod': return [o.op, o.path, String(o.mode), String(o.major), String(o.minor), String(o.uid), String(o.gid)];
    case 'symlink': return [o.op, o.target, o.path];
    case 'fifo_open': return [o.op, o.path];
    case 'sync': return [o.op, o.name];
    case 'hook': return [o.op, o.kind, o.path, String(o.timeout), String(o.args.length), ...o.args, ...o.env];
    case 'pivot_root': return [o.op];
    case 'chroot': return [o.op];
    case 'chroot_only': return [o.op];
    case 'mask': return [o.op, o.path];
    case 'readonly': return [o.op, o.path];
    case 'hostname': return [o.op, o.name];
    case 'domainname': return [o.op, o.name];
    case 'write': return [o.op, o.path, o.data];
    case 'console': return [o.op, String(o.rows), String(o.cols)];
    case 'rlimit': return [o.op, String(o.resource), o.soft, o.hard];
    case 'umask': return [o.op, String(o.mask)];
    case 'chdir': return [o.op, o.path];
    case 'keepcaps': return [o.op, o.on ? '1' : '0'];
    case 'capbset': return [o.op, o.keep];
    case 'setgroups': return [o.op, ...o.gids.map(String)];
    case 'capset': return [o.op, o.effective, o.permitted, o.inheritable];
    case 'ambient': return [o.op, o.mask];
    case 'nnp': return [o.op];
    case 'seccomp': return [o.op, String(o.flags), o.program];
    case 'lookpath': return [o.op, o.file, o.path];
    case 'ready': return [o.op];
    case 'parent_death': return [o.op];
    case 'fifo_wait': return [o.op];
    case 'cloexec_from': return [o.op, String(o.fd)];
    case 'exec': return [o.op, String(o.args.length), ...o.args, ...o.env];
  }
}
