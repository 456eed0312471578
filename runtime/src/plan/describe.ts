// One-line, human descriptions of ops for error messages: "mount tmpfs on /dev".
import type { Op } from './ops.js';

export function describeOp(o: Op): string {
  switch (o.op) {
    case 'mount':
      if (!o.source && !o.fstype) return `set propagation of ${o.target}`;
      return `mount ${o.fstype || 'bind'} ${o.source && o.source !== o.fstype ? `${o.source} ` : ''}on ${o.target}`;
    case 'remount': return `remount ${o.target}`;
    case 'copyup_open': return `open ${o.target} for tmpcopyup`;
    case 'copyup': return `copy ${o.target} into its tmpfs (tmpcopyup)`;
    case 'setns': return `join namespace ${o.path}`;
    case 'join_cgroup': return `join cgroup ${o.path}`;
    case 'clone_into': return `clone into cgroup ${o.path}`;
    case 'clone': return 'create container process';
    case 'mknod': return `create device ${o.path}`;
    case 'symlink': return `symlink ${o.path} -> ${o.target}`;
    case 'hook': return `${o.kind} hook ${o.path}`;
    case 'write': return `write ${o.path}`;
    case 'rlimit': return `set ${o.name}`;
    case 'chdir': return `chdir to ${o.path} (process.cwd)`;
    case 'lookpath': return `find ${o.file}`;
    case 'exec': return `exec ${o.args[0] ?? ''}`;
    case 'bind_console': return 'bind the console over /dev/console';
    case 'mask': return `mask ${o.path}`;
    case 'readonly': return `make ${o.path} read-only`;
    case 'hostname': return `set hostname ${o.name}`;
    case 'rootfs': return `open rootfs ${o.path}`;
    case 'setresuid': return `set uid ${o.uid}`;
    case 'setresgid': return `set gid ${o.gid}`;
    case 'join_resctrl': return `join resctrl group ${o.path} (linux.intelRdt)`;
    case 'affinity': return `set CPU affinity ${o.cpus.join(',')} (process.execCPUAffinity)`;
    case 'sched': return 'set the scheduler (process.scheduler)';
    case 'ioprio': return 'set the I/O priority (process.ioPriority)';
    case 'personality': return 'set the personality (linux.personality)';
    case 'mempolicy': return 'set the memory policy (linux.memoryPolicy)';
    case 'lsm_exec': return o.data.startsWith('exec ') ? 'set the AppArmor profile (process.apparmorProfile)' : 'set the SELinux label (process.selinuxLabel)';
    default: return o.op;
  }
}
