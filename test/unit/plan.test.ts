// The plan compiler is the backbone of the runtime: these tests pin what a config turns into, without root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { STEPS, toPlan, type PlanOptions } from '../../runtime/src/plan/compile.js';
import type { Op } from '../../runtime/src/plan/ops.js';
import { MS } from '../../runtime/src/rootfs/mount-options.js';

function spec(over: Partial<Spec> = {}): Spec {
  return {
    ociVersion: '1.3.0',
    process: { user: { uid: 1000, gid: 1000, additionalGids: [5] }, args: ['sh'], env: ['PATH=/bin'], cwd: '/' },
    root: { path: 'rootfs' },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'uts' }] },
    ...over,
  };
}

const warnings: string[] = [];
const opts: PlanOptions = {
  id: 'c1', bundle: '/b', rootfs: '/b/rootfs', fifo: '/run/tsrun/c1/exec.fifo', listenFds: 0, preserveFds: 0,
  noPivot: false, noNewKeyring: false, cgroupMode: 'v1', hierarchies: [], warn: (m) => warnings.push(m),
};

const names = (ops: Op[]) => ops.map((o) => o.op);
const find = <K extends Op['op']>(ops: Op[], name: K) => ops.filter((o): o is Extract<Op, { op: K }> => o.op === name);

describe('toPlan', () => {
  it('runs the init checklist in order', () => {
    assert.deepEqual(STEPS.map((s) => s.name), [
      'cgroup namespace', 'become root in the user namespace', 'new session and no umask', 'network devices', 'session keyring', 'prepare root', 'mounts', 'devices',
      'prestart and createRuntime hooks (runtime namespace)', 'createContainer hooks', 'change root',
      'root propagation and read-only root', 'hostname', 'sysctl', 'read-only and masked paths', 'oom score', 'console',
      'console device', 'rlimits', 'umask', 'working directory', 'scheduler, I/O priority, personality and memory policy', 'LSM labels for exec',
      'seccomp (without no_new_privs)', 'user and capabilities', 'find the executable',
      'seccomp with a listener (with no_new_privs)', 'report ready and wait for start', 'startContainer hooks', 'no new privileges',
      'seccomp (with no_new_privs)', 'close inherited fds', 'exec',
    ]);
  });

  it('enters cwd before any filter loads, and loads a filter with a listener before ready', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] };
    const notify = { ...seccomp, listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    const withProc = (nnp: boolean, sc: object): Spec => {
      const s = spec({ linux: { namespaces: [{ type: 'mount' }], seccomp: sc as never } });
      s.process!.noNewPrivileges = nnp;
      return s;
    };
    // without no_new_privs, before capabilities drop; chdir and its getcwd check before it
    let n = names(toPlan(withProc(false, seccomp), opts).ops);
    assert.ok(n.indexOf('chdir') < n.indexOf('seccomp') && n.indexOf('seccomp') < n.indexOf('capset'));
    // with no_new_privs, last; with a listener, just before ready (tsrun must still be there to pass its fd on)
    n = names(toPlan(withProc(true, seccomp), opts).ops);
    assert.deepEqual(n.slice(-4), ['nnp', 'seccomp', 'cloexec_from', 'exec']);
    n = names(toPlan(withProc(true, notify), opts).ops);
    assert.deepEqual(n.slice(n.indexOf('lookpath')), ['lookpath', 'nnp', 'seccomp', 'ready', 'fifo_wait', 'cloexec_from', 'exec']);
    n = names(toPlan(withProc(false, notify), opts).ops);
    assert.ok(n.indexOf('seccomp') < n.indexOf('capset') && n.filter((o) => o === 'seccomp').length === 1);
  });

  it('creates namespaces with one clone and switches user only after pivot_root', () => {
    const { ops } = toPlan(spec(), opts);
    const clone = find(ops, 'clone')[0];
    assert.equal(clone?.flags, 0x00020000 | 0x20000000 | 0x04000000);
    const n = names(ops);
    assert.ok(n.indexOf('pivot_root') < n.indexOf('setresuid'));
    assert.equal(n.indexOf('sync'), -1, 'no round trip to tsrun without hooks');
    const withHook = names(toPlan(spec({ hooks: { createRuntime: [{ path: '/bin/true' }] } }), opts).ops);
    assert.ok(withHook.indexOf('sync') > 0 && withHook.indexOf('sync') < withHook.indexOf('pivot_root'));
    assert.ok(n.indexOf('lookpath') < n.indexOf('ready'));
    assert.ok(n.indexOf('fifo_wait') < n.indexOf('exec'));
    assert.equal(n.at(-1), 'exec');
    assert.deepEqual(find(ops, 'setgroups')[0]?.gids, [5]);
  });

  it('joins namespaces by path with the user namespace first', () => {
    const { ops } = toPlan(spec({ linux: { namespaces: [{ type: 'network', path: '/proc/1/ns/net' }, { type: 'mount' }, { type: 'user', path: '/proc/1/ns/user' }] } }), opts);
    assert.deepEqual(find(ops, 'setns').map((o) => o.path), ['/proc/1/ns/user', '/proc/1/ns/net']);
    assert.ok(names(ops).indexOf('setns') < names(ops).indexOf('clone'));
  });

  it('writes id maps and becomes root inside a new user namespace', () => {
    const { ops } = toPlan(
      spec({ linux: { namespaces: [{ type: 'mount' }, { type: 'user' }], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] } }),
      opts,
    );
    const clone = find(ops, 'clone')[0];
    assert.equal(clone?.uidMap, '0 100000 65536\n');
    assert.deepEqual(ops.slice(ops.indexOf(clone as Op) + 1, ops.indexOf(clone as Op) + 3), [{ op: 'setresgid', gid: 0 }, { op: 'setresuid', uid: 0 }]);
    // devices are bind-mounted from the host, mknod is not allowed in a user namespace
    assert.equal(find(ops, 'mknod').length, 0);
    assert.ok(find(ops, 'mount').some((m) => m.source === '/dev/null' && m.target === '/dev/null' && m.flags === MS.BIND));
  });

  it('rejects duplicate namespaces, a missing mount namespace and a hostname without uts', () => {
    assert.throws(() => toPlan(spec({ linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'pid' }] } }), opts), /linux.namespaces: duplicate namespace type "pid"/);
    assert.throws(() => toPlan(spec({ linux: { namespaces: [{ type: 'pid' }], maskedPaths: ['/proc/kcore'] } }), opts), /linux.maskedPaths: needs a mount namespace/);
    assert.throws(() => toPlan(spec({ hostname: 'x', linux: { namespaces: [{ type: 'mount' }] } }), opts), /hostname: requires a uts namespace/);
    assert.throws(() => toPlan(spec({ linux: { namespaces: [{ type: 'mount' }, { type: 'user' }] } }), opts), /uidMappings: required/);
  });

  it('turns mount options into flags, data, remounts and propagation calls', () => {
    const { ops } = toPlan(spec({ mounts: [
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k', 'rprivate'] },
      { destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'ro', 'nodev'] },
    ] }), opts);
    const mounts = find(ops, 'mount').filter((m) => m.scope === 'rootfs');
    assert.deepEqual(mounts[0], { op: 'mount', scope: 'rootfs', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k', create: 'dir' });
    assert.deepEqual(mounts[1], { op: 'mount', scope: 'rootfs', source: '', target: '/dev', fstype: '', flags: MS.PRIVATE | MS.REC, data: '', create: 'none' });
    assert.deepEqual(mounts[2], { op: 'mount', scope: 'rootfs', source: '/tmp', target: '/data', fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'dir' });
    assert.deepEqual(find(ops, 'remount').find((r) => r.target === '/data'), { op: 'remount', scope: 'rootfs', target: '/data', flags: MS.RDONLY | MS.NODEV });
  });

  it('wraps a tmpcopyup tmpfs mount in copyup_open and copyup, and refuses tmpcopyup on other types', () => {
    const { ops } = toPlan(spec({ mounts: [
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'tmpcopyup', 'ro', 'mode=755', 'rprivate'] },
    ] }), opts);
    const run = ops.filter((o) => 'target' in o && o.target === '/run');
    assert.deepEqual(run, [
      { op: 'copyup_open', target: '/run' },
      // mounted writable for the copy, then made read-only; tmpcopyup is not mount data
      { op: 'mount', scope: 'rootfs', source: 'tmpfs', target: '/run', fstype: 'tmpfs', flags: MS.NOSUID, data: 'mode=755', create: 'dir' },
      { op: 'mount', scope: 'rootfs', source: '', target: '/run', fstype: '', flags: MS.PRIVATE | MS.REC, data: '', create: 'none' },
      { op: 'copyup', target: '/run' },
      { op: 'remount', scope: 'rootfs', target: '/run', flags: MS.NOSUID | MS.RDONLY },
    ]);
    const plain = toPlan(spec({ mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' }] }), opts).ops;
    assert.ok(!names(plain).includes('copyup_open') && !names(plain).includes('copyup'), 'no copy without tmpcopyup');
    const refused = { message: 'config.json: mounts[3].options: "tmpcopyup" is only valid for tmpfs' };
    const withFourth = (m: NonNullable<Spec['mounts']>[number]) =>
      spec({ mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/a', type: 'tmpfs' }, { destination: '/b', type: 'tmpfs' }, m] });
    assert.throws(() => toPlan(withFourth({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] }), opts), refused);
    assert.throws(() => toPlan(withFourth({ destination: '/data', source: '/tmp', options: ['bind', 'tmpcopyup'] }), opts), refused);
    assert.throws(() => toPlan(withFourth({ destination: '/data', type: 'proc', source: 'proc', options: ['tmpcopyup'] }), opts), refused);
  });

  it('computes capability masks, warns about unknown names, and keeps preserved fds', () => {
    warnings.length = 0;
    const s = spec();
    if (s.process) s.process.capabilities = { bounding: ['CAP_KILL', 'CAP_NOPE'], effective: ['CAP_CHOWN'] };
    const { ops, extraFds } = toPlan(s, { ...opts, preserveFds: 2, listenFds: 1 });
    assert.equal(find(ops, 'capbset')[0]?.keep, String(1n << 5n));
    assert.equal(find(ops, 'capset')[0]?.effective, '1');
    assert.deepEqual(warnings, ['unknown capability "CAP_NOPE" ignored']);
    assert.equal(extraFds, 3);
    assert.deepEqual(find(ops, 'cloexec_from')[0], { op: 'cloexec_from', fd: 6 });
    const env = find(ops, 'exec')[0]?.env ?? [];
    assert.ok(env.includes('LISTEN_FDS=1') && env.includes('LISTEN_PID=1'));
  });

  it('without a mount namespace, mounts in place and only chroots (never moves the rootfs over /)', () => {
    const { ops } = toPlan(spec({ linux: { namespaces: [{ type: 'pid' }] } }), opts);
    const n = names(ops);
    assert.ok(n.includes('chroot_only') && !n.includes('pivot_root') && !n.includes('chroot'));
    assert.deepEqual(find(ops, 'mount').filter((m) => m.scope === 'host').map((m) => m.target), ['/b/rootfs'], 'no propagation change of /, only the rootfs bind');
  });

  it('uses chroot with --no-pivot and requires a console socket for a terminal', () => {
    assert.ok(names(toPlan(spec(), { ...opts, noPivot: true }).ops).includes('chroot'));
    const s = spec();
    if (s.process) s.process.terminal = true;
    assert.throws(() => toPlan(s, opts), /process.terminal: a terminal needs --console-socket/);
    const { ops } = toPlan(s, { ...opts, consoleSocket: '/tmp/c.sock' });
    assert.ok(names(ops).indexOf('console_connect') < names(ops).indexOf('clone'));
  });

  it('maps rlimits, with 2^64-1 as infinity', () => {
    const s = spec();
    if (s.process) s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2 ** 64 }];
    assert.deepEqual(find(toPlan(s, opts).ops, 'rlimit')[0], { op: 'rlimit', resource: 7, name: 'RLIMIT_NOFILE', soft: '1024', hard: '18446744073709551615' });
    if (s.process) s.process.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }];
    assert.throws(() => toPlan(s, opts), /process.rlimits\[0\].type: unknown rlimit "RLIMIT_NOPE"/);
  });
});
