// The exec plan: what `tsrun exec` asks the native stage to do, without root.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { splitExecArgs } from '../../runtime/src/cli/commands/exec.js';
import { loadProcess } from '../../runtime/src/config/load.js';
import type { Spec } from '../../runtime/src/config/spec.js';
import { subCgroups } from '../../runtime/src/container/exec.js';
import { CLONE_FLAGS } from '../../runtime/src/namespaces/index.js';
import { type ExecPlanOptions, execProcess, toExecPlan } from '../../runtime/src/plan/exec.js';
import type { Op } from '../../runtime/src/plan/ops.js';

function spec(): Spec {
  return {
    ociVersion: '1.3.0',
    process: {
      user: { uid: 0, gid: 0 },
      args: ['sleep', '1000'],
      env: ['PATH=/bin', 'A=1'],
      cwd: '/srv',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs' },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'uts' }, { type: 'user' }, { type: 'network' }],
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] },
    },
  };
}

const opts: ExecPlanOptions = {
  id: 'c1',
  rootfs: '/b/rootfs',
  initPid: 4242,
  join: ['mount', 'pid', 'uts', 'user', 'network'],
  cgroupJoin: { tasks: ['/sys/fs/cgroup/pids/c1/tasks', '/sys/fs/cgroup/memory/c1/tasks'] },
  preserveFds: 0,
  warn: () => {},
};

const names = (ops: Op[]) => ops.map((o) => o.op);
const find = <K extends Op['op']>(ops: Op[], name: K) => ops.filter((o): o is Extract<Op, { op: K }> => o.op === name);
const plan = (over: Partial<Parameters<typeof execProcess>[1]> = {}, o: Partial<ExecPlanOptions> = {}) =>
  toExecPlan(spec(), execProcess(spec().process, { args: ['sh', '-c', 'true'], ...over }), { ...opts, ...o });

describe('toExecPlan', () => {
  it('joins cgroups, then the namespaces by the init pid, user first and mount last, then clones with no flags', () => {
    const ops = plan().ops;
    const clone = ops.findIndex((o) => o.op === 'clone');
    assert.deepEqual(ops.slice(0, clone + 1), [
      { op: 'join_cgroup', path: '/sys/fs/cgroup/pids/c1/tasks' },
      { op: 'join_cgroup', path: '/sys/fs/cgroup/memory/c1/tasks' },
      { op: 'setns', path: '/proc/4242/ns/user', nstype: CLONE_FLAGS.user },
      { op: 'setns', path: '/proc/4242/ns/uts', nstype: CLONE_FLAGS.uts },
      { op: 'setns', path: '/proc/4242/ns/net', nstype: CLONE_FLAGS.network },
      { op: 'setns', path: '/proc/4242/ns/pid', nstype: CLONE_FLAGS.pid },
      { op: 'setns', path: '/proc/4242/ns/mnt', nstype: CLONE_FLAGS.mount },
      { op: 'clone', flags: 0, uidMap: '', gidMap: '', setgroups: '' },
    ]);
  });

  it("joins the container's session keyring by name, unless it was created with --no-new-keyring", () => {
    const keyrings = (o: Partial<ExecPlanOptions>) => plan({}, o).ops.filter((x) => x.op === 'keyring');
    assert.deepEqual(keyrings({}), [{ op: 'keyring', name: '_ses.c1' }]);
    assert.deepEqual(keyrings({ noNewKeyring: true }), []);
  });

  it('joins only the namespaces it is given', () => {
    assert.deepEqual(find(plan({}, { join: ['pid', 'mount'] }).ops, 'setns').map((o) => o.path), ['/proc/4242/ns/pid', '/proc/4242/ns/mnt']);
  });

  it('clones into a cgroup2 directory', () => {
    const ops = plan({}, { cgroupJoin: { tasks: [], cgroup2: '/sys/fs/cgroup/c1' } }).ops;
    assert.deepEqual(ops[0], { op: 'clone_into', path: '/sys/fs/cgroup/c1' });
    assert.equal(find(ops, 'join_cgroup').length, 0);
  });

  it('makes no mounts, no pivot, no fifo; ready after lookpath, then exec', () => {
    const ops = plan().ops;
    for (const bad of ['mount', 'remount', 'pivot_root', 'chroot', 'chroot_only', 'rootfs', 'mknod', 'mask', 'readonly', 'fifo_open', 'fifo_wait', 'hostname', 'sync', 'hook'] as const) {
      assert.equal(find(ops, bad).length, 0, bad);
    }
    const n = names(ops);
    assert.equal(n.indexOf('ready'), n.indexOf('lookpath') + 1);
    assert.ok(n.indexOf('chdir') < n.indexOf('lookpath'));
    assert.equal(n.at(-1), 'exec');
    assert.ok(n.indexOf('setresuid') > n.indexOf('clone'));
    // the container's seccomp filter, last because of no_new_privs, and its rlimits
    assert.ok(n.indexOf('seccomp') > n.indexOf('nnp'));
    assert.equal(find(ops, 'rlimit').length, 1);
  });

  it('loads a filter with a listener before ready, so that tsrun can pass its fd to the agent', () => {
    const s = spec();
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    const n = names(toExecPlan(s, execProcess(s.process, { args: ['true'] }), opts).ops);
    assert.deepEqual(n.slice(n.indexOf('lookpath')), ['lookpath', 'nnp', 'seccomp', 'ready', 'cloexec_from', 'exec']);
  });

  it('without a mount namespace, chroots into the rootfs', () => {
    const ops = plan({}, { join: ['pid'] }).ops;
    const n = names(ops);
    assert.ok(n.indexOf('rootfs') > n.indexOf('clone') && n.indexOf('chroot_only') === n.indexOf('rootfs') + 1);
    assert.equal(find(ops, 'mount').length, 0);
  });

  it("runs the config's process with the flags' args, env, cwd, user, groups and capabilities", () => {
    const ops = plan({ env: ['B=2', 'A=3'], cwd: '/tmp', user: '1000:1001', additionalGids: ['7'], caps: ['net_admin'] }).ops;
    const exec = find(ops, 'exec')[0];
    assert.deepEqual(exec?.args, ['sh', '-c', 'true']);
    assert.deepEqual(exec?.env.slice(0, 3), ['PATH=/bin', 'A=3', 'B=2']);
    assert.deepEqual(find(ops, 'chdir'), [{ op: 'chdir', path: '/tmp' }]);
    assert.deepEqual(find(ops, 'setresuid').map((o) => o.uid), [0, 1000]); // root in the user namespace first
    assert.deepEqual(find(ops, 'setresgid').map((o) => o.gid), [0, 1001]);
    assert.deepEqual(find(ops, 'setgroups'), [{ op: 'setgroups', gids: [7] }]);
    const kill = 1n << 5n;
    const netAdmin = 1n << 12n;
    assert.equal(find(ops, 'capbset')[0]?.keep, String(kill | netAdmin));
    assert.equal(find(ops, 'capset')[0]?.effective, String(kill | netAdmin));
  });

  it("keeps the config's cwd and user without flags, and adds no_new_privs with --no-new-privs", () => {
    const s = spec();
    if (s.process) s.process.noNewPrivileges = false;
    const ops = toExecPlan(s, execProcess(s.process, { args: ['ls'] }), opts).ops;
    assert.deepEqual(find(ops, 'chdir'), [{ op: 'chdir', path: '/srv' }]);
    assert.equal(find(ops, 'nnp').length, 0);
    const ops2 = toExecPlan(s, execProcess(s.process, { args: ['ls'], noNewPrivs: true }), opts).ops;
    assert.equal(find(ops2, 'nnp').length, 1);
  });

  it('needs a command, and a console socket for a terminal', () => {
    assert.throws(() => plan({ args: [] }), /command/);
    assert.throws(() => plan({ tty: true }), /console-socket/);
    const ops = plan({ tty: true }, { consoleSocket: '/tmp/c.sock' }).ops;
    const n = names(ops);
    // connected before the mount namespace hides the host's socket path
    assert.ok(n.indexOf('console_connect') < n.indexOf('setns') && n.indexOf('console') > n.indexOf('setsid'));
  });

  it('rejects malformed flags', () => {
    assert.throws(() => plan({ user: 'bob' }), /--user/);
    assert.throws(() => plan({ cwd: 'rel' }), /--cwd/);
    assert.throws(() => plan({ env: ['NOEQUALS'] }), /--env/);
  });

  it('runs a process.json as given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-procjson-'));
    try {
      const file = path.join(dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ args: ['/bin/echo', 'hi'], cwd: '/var', env: ['X=y'], user: { uid: 5, gid: 6 } }));
      const ops = toExecPlan(spec(), await loadProcess(file), opts).ops;
      assert.deepEqual(find(ops, 'exec')[0]?.args, ['/bin/echo', 'hi']);
      assert.deepEqual(find(ops, 'chdir'), [{ op: 'chdir', path: '/var' }]);
      assert.deepEqual(find(ops, 'setresuid').map((o) => o.uid), [0, 5]);
      assert.equal(find(ops, 'exec')[0]?.env[0], 'X=y');
      assert.equal(find(ops, 'nnp').length, 0, 'no_new_privs comes from the process.json, not the config');
      assert.equal(find(ops, 'rlimit').length, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses AppArmor and SELinux', () => {
    const p = execProcess(spec().process, { args: ['ls'] });
    assert.throws(() => toExecPlan(spec(), { ...p, apparmorProfile: 'x' }, { ...opts, lsm: () => ({ apparmor: false, selinux: false }) }), /AppArmor/);
    assert.throws(() => toExecPlan(spec(), { ...p, selinuxLabel: 'x' }, { ...opts, lsm: () => ({ apparmor: false, selinux: false }) }), /SELinux/);
  });
});

describe('exec arguments', () => {
  it("ends exec's flags at the container id", () => {
    assert.deepEqual(splitExecArgs(['-e', 'A=1', '--tty', 'c1', 'sh', '-c', 'exit 7']), { flags: ['-e', 'A=1', '--tty'], id: 'c1', command: ['sh', '-c', 'exit 7'] });
    assert.deepEqual(splitExecArgs(['c1', '--', 'ls', '-la']), { flags: [], id: 'c1', command: ['ls', '-la'] });
    assert.deepEqual(splitExecArgs(['-p', 'p.json', 'c1']), { flags: ['-p', 'p.json'], id: 'c1', command: [] });
  });

  it('--cgroup names an existing sub-cgroup of the container', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cg-'));
    try {
      fs.mkdirSync(path.join(dir, 'pids', 'sub'), { recursive: true });
      const paths = { pids: path.join(dir, 'pids'), memory: path.join(dir, 'memory') };
      assert.deepEqual(subCgroups(paths, ['pids:sub']), { ...paths, pids: path.join(dir, 'pids', 'sub') });
      assert.throws(() => subCgroups(paths, ['memory:sub']), /no such cgroup/);
      assert.throws(() => subCgroups(paths, ['pids:../x']), /relative/);
      assert.throws(() => subCgroups(paths, ['cpu:sub']), /no cgroup for controller/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
