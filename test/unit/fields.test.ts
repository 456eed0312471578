// Spec 1.3's remaining process and linux fields, without root: the ops they compile to (create and exec), the order
// they run in, every refusal by field path, the LSMs through an injected detector, netDevices through a fake command
// runner and intelRdt on a directory standing in for the resctrl filesystem.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { features } from '../../runtime/src/config/features.js';
import type { Spec } from '../../runtime/src/config/spec.js';
import { TsrunError } from '../../runtime/src/errors.js';
import { rdtGroup, removeRdt, resctrlRoot, schemataMismatch, setupRdt } from '../../runtime/src/intelrdt/resctrl.js';
import { type Runner, moveNetDevices } from '../../runtime/src/namespaces/netdevices.js';
import { type PlanOptions, toPlan } from '../../runtime/src/plan/compile.js';
import { type ExecPlanOptions, toExecPlan } from '../../runtime/src/plan/exec.js';
import type { Op } from '../../runtime/src/plan/ops.js';
import { parseList } from '../../runtime/src/process/sched.js';

function spec(edit: (s: Spec & { process: NonNullable<Spec['process']>; linux: NonNullable<Spec['linux']> }) => void = () => {}): Spec {
  const s = {
    ociVersion: '1.3.0',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/bin'], cwd: '/' },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] },
      { destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue' },
    ],
    linux: { namespaces: [{ type: 'mount' as const }, { type: 'pid' as const }, { type: 'network' as const }] },
  };
  edit(s);
  return s;
}

const noLsm = () => ({ apparmor: false, selinux: false });
const bothLsm = () => ({ apparmor: true, selinux: true });
const opts: PlanOptions = {
  id: 'c1', bundle: '/b', rootfs: '/b/rootfs', fifo: '/run/tsrun/c1/exec.fifo', listenFds: 0, preserveFds: 0,
  noPivot: false, noNewKeyring: false, cgroupMode: 'v1', hierarchies: [], warn: () => {}, lsm: noLsm,
};
const execOpts: ExecPlanOptions = { id: 'c1', rootfs: '/b/rootfs', initPid: 42, join: ['mount', 'pid'], preserveFds: 0, warn: () => {}, lsm: noLsm, cgroupJoin: { tasks: ['/sys/fs/cgroup/cpuset/c1/tasks'] } };

const names = (ops: Op[]): string[] => ops.map((o) => o.op);
const find = <K extends Op['op']>(ops: Op[], name: K) => ops.filter((o): o is Extract<Op, { op: K }> => o.op === name);
const fails = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: Error) => e instanceof TsrunError && message.test(e.message) && !e.message.includes('\n'));

describe('scheduler, I/O priority, personality, memory policy', () => {
  const full = spec((s) => {
    s.process.scheduler = { policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 7 };
    s.linux.personality = { domain: 'LINUX32' };
    s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0,2-3', flags: ['MPOL_F_STATIC_NODES'] };
  });

  it('compiles each to its op with the kernel numbers', () => {
    const { ops } = toPlan(full, opts);
    assert.deepEqual(find(ops, 'sched'), [{ op: 'sched', policy: 3, flags: 1, nice: 5, priority: 0, runtime: '0', deadline: '0', period: '0' }]);
    assert.deepEqual(find(ops, 'ioprio'), [{ op: 'ioprio', value: (3 << 13) | 7 }]);
    assert.deepEqual(find(ops, 'personality'), [{ op: 'personality', persona: 8 }]);
    assert.deepEqual(find(ops, 'mempolicy'), [{ op: 'mempolicy', mode: 2 | (1 << 15), nodes: [0, 2, 3] }]);
  });

  it('runs them in the container, with all capabilities, before seccomp and the switch of user', () => {
    const s = spec((x) => {
      Object.assign(x.process, full.process);
      Object.assign(x.linux, full.linux);
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
      x.process.user = { uid: 1000, gid: 1000 };
    });
    const n = names(toPlan(s, opts).ops);
    for (const op of ['sched', 'ioprio', 'personality', 'mempolicy']) {
      assert.ok(n.indexOf(op) > n.indexOf('clone') && n.indexOf(op) > n.indexOf('pivot_root'), op);
      assert.ok(n.indexOf(op) < n.indexOf('seccomp') && n.indexOf(op) < n.indexOf('setresuid', n.indexOf('pivot_root')), op);
    }
  });

  it('gives exec\'d processes the same ops', () => {
    const n = names(toExecPlan(full, full.process!, execOpts).ops);
    for (const op of ['sched', 'ioprio', 'personality', 'mempolicy']) assert.ok(n.indexOf(op) > n.indexOf('clone') && n.indexOf(op) < n.indexOf('exec'), op);
  });

  it('realtime and deadline values', () => {
    const rr = toPlan(spec((s) => void (s.process.scheduler = { policy: 'SCHED_RR', priority: 10 })), opts).ops;
    assert.equal(find(rr, 'sched')[0]?.priority, 10);
    const dl = toPlan(spec((s) => void (s.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1e6, deadline: 2e6, period: 4e6 })), opts).ops;
    assert.deepEqual(find(dl, 'sched')[0], { op: 'sched', policy: 6, flags: 0, nice: 0, priority: 0, runtime: '1000000', deadline: '2000000', period: '4000000' });
    const local = toPlan(spec((s) => void (s.linux.memoryPolicy = { mode: 'MPOL_PREFERRED' })), opts).ops;
    assert.deepEqual(find(local, 'mempolicy')[0], { op: 'mempolicy', mode: 1, nodes: [] });
  });

  const bad: [string, (s: ReturnType<typeof spec> & { process: NonNullable<Spec['process']>; linux: NonNullable<Spec['linux']> }) => void, RegExp][] = [
    ['nice out of range', (s) => void (s.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 }), /^config\.json: process\.scheduler\.nice: 20 is out of range/],
    ['FIFO without a priority', (s) => void (s.process.scheduler = { policy: 'SCHED_FIFO' }), /^config\.json: process\.scheduler\.priority: 0 is out of range for SCHED_FIFO/],
    ['a priority for BATCH', (s) => void (s.process.scheduler = { policy: 'SCHED_BATCH', priority: 3 }), /^config\.json: process\.scheduler\.priority: must be 0/],
    ['SCHED_ISO', (s) => void (s.process.scheduler = { policy: 'SCHED_ISO' }), /^config\.json: process\.scheduler\.policy: SCHED_ISO is not implemented/],
    ['deadline without runtime', (s) => void (s.process.scheduler = { policy: 'SCHED_DEADLINE' }), /^config\.json: process\.scheduler\.runtime: /],
    ['runtime for OTHER', (s) => void (s.process.scheduler = { policy: 'SCHED_OTHER', runtime: 5 }), /^config\.json: process\.scheduler\.runtime: is for SCHED_DEADLINE only/],
    ['unknown sched flag', (s) => void (s.process.scheduler = { policy: 'SCHED_OTHER', flags: ['NOPE'] }), /^config\.json: process\.scheduler\.flags\[0\]: unknown flag "NOPE"/],
    ['ioprio priority 8', (s) => void (s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 }), /^config\.json: process\.ioPriority\.priority: 8 is out of range/],
    ['ioprio unknown class', (s) => void (s.process.ioPriority = { class: 'IOPRIO_CLASS_NONE', priority: 0 }), /^config\.json: process\.ioPriority\.class: unknown class/],
    ['personality domain', (s) => void (s.linux.personality = { domain: 'SVR4' }), /^config\.json: linux\.personality\.domain: unknown domain "SVR4"/],
    ['personality flags', (s) => void (s.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }), /^config\.json: linux\.personality\.flags: no flags/],
    ['BIND without nodes', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_BIND' }), /^config\.json: linux\.memoryPolicy\.nodes: MPOL_BIND needs at least one node/],
    ['DEFAULT with nodes', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_DEFAULT', nodes: '0' }), /^config\.json: linux\.memoryPolicy\.nodes: must be empty for MPOL_DEFAULT/],
    ['bad node list', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '3-1' }), /^config\.json: linux\.memoryPolicy\.nodes: range "3-1" ends before it starts/],
    ['node out of range', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '5000' }), /^config\.json: linux\.memoryPolicy\.nodes: 5000 is out of range/],
    ['both node flags', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }), /^config\.json: linux\.memoryPolicy\.flags: .*exclude each other/],
    ['affinity garbage', (s) => void (s.process.execCPUAffinity = { final: 'a-b' }), /^config\.json: process\.execCPUAffinity\.final: "a-b" is not a list/],
    ['affinity out of range', (s) => void (s.process.execCPUAffinity = { initial: '0,9000' }), /^config\.json: process\.execCPUAffinity\.initial: 9000 is out of range/],
  ];
  for (const [what, edit, message] of bad) it(`refuses ${what}, naming the field`, () => fails(() => toPlan(spec(edit), opts), message));

  it('parses cpu and node lists', () => {
    assert.deepEqual(parseList('0-3,7, 2', 'f', 64), [0, 1, 2, 3, 7]);
    assert.deepEqual(parseList('', 'f', 64), []);
  });
});

describe('execCPUAffinity', () => {
  const s = spec((x) => void (x.process.execCPUAffinity = { initial: '1', final: '0-1' }));

  it('does not apply to the container init (spec)', () => {
    assert.deepEqual(find(toPlan(s, opts).ops, 'affinity'), []);
  });

  it('exec: initial before the parent joins the cgroups, final in the process after', () => {
    const { ops } = toExecPlan(s, s.process!, execOpts);
    const n = names(ops);
    const at = n.map((x, i) => (x === 'affinity' ? i : -1)).filter((i) => i >= 0);
    assert.equal(at.length, 2);
    assert.deepEqual(ops[at[0]!], { op: 'affinity', cpus: [1] });
    assert.deepEqual(ops[at[1]!], { op: 'affinity', cpus: [0, 1] });
    assert.ok(at[0]! < n.indexOf('join_cgroup') && at[1]! > n.indexOf('clone'));
  });

  it('an empty final leaves the affinity alone', () => {
    const e = spec((x) => void (x.process.execCPUAffinity = { final: '' }));
    assert.deepEqual(find(toExecPlan(e, e.process!, execOpts).ops, 'affinity'), []);
  });
});

describe('AppArmor and SELinux', () => {
  const labelled = spec((s) => {
    s.process.apparmorProfile = 'tsrun-test';
    s.process.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2';
    s.linux.mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2';
  });

  it('refuses each field when its LSM is not enabled', () => {
    fails(() => toPlan(spec((s) => void (s.process.apparmorProfile = 'p')), opts), /^config\.json: process\.apparmorProfile: AppArmor is not enabled on this host$/);
    fails(() => toPlan(spec((s) => void (s.process.selinuxLabel = 'l')), opts), /^config\.json: process\.selinuxLabel: SELinux is not enabled on this host$/);
    fails(() => toPlan(spec((s) => void (s.linux.mountLabel = 'l')), opts), /^config\.json: linux\.mountLabel: SELinux is not enabled on this host$/);
    fails(() => toExecPlan(labelled, labelled.process!, execOpts), /^config\.json: process\.apparmorProfile: AppArmor is not enabled/);
  });

  it('with the LSMs enabled: exec labels written to procfs before seccomp, the mount label on new filesystems', () => {
    const s = { ...labelled, linux: { ...labelled.linux, seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } } };
    const { ops } = toPlan(s, { ...opts, lsm: bothLsm });
    assert.deepEqual(find(ops, 'lsm_exec'), [
      { op: 'lsm_exec', data: 'exec tsrun-test', paths: ['/proc/thread-self/attr/apparmor/exec', '/proc/self/attr/apparmor/exec', '/proc/self/attr/exec'] },
      { op: 'lsm_exec', data: 'system_u:system_r:container_t:s0:c1,c2', paths: ['/proc/thread-self/attr/exec', '/proc/self/attr/exec'] },
    ]);
    const n = names(ops);
    assert.ok(n.indexOf('lsm_exec') > n.indexOf('pivot_root') && n.lastIndexOf('lsm_exec') < n.indexOf('seccomp'));
    const mounts = find(ops, 'mount').filter((m) => m.scope === 'rootfs');
    const data = Object.fromEntries(mounts.map((m) => [m.target, m.data]));
    assert.equal(data['/dev'], 'mode=755,context="system_u:object_r:container_file_t:s0:c1,c2"');
    assert.equal(data['/proc'], '', 'proc takes no context=');
    assert.ok(!data['/data']?.includes('context='), 'a bind mount ignores data');
    assert.ok(!data['/dev/mqueue']?.includes('context='));
    const exec = toExecPlan(labelled, labelled.process!, { ...execOpts, lsm: bothLsm }).ops;
    assert.equal(find(exec, 'lsm_exec').length, 2);
  });

  it('refuses a label with a newline', () => {
    fails(() => toPlan(spec((s) => void (s.process.apparmorProfile = 'a\nb')), { ...opts, lsm: bothLsm }), /^config\.json: process\.apparmorProfile: must not contain/);
  });
});

describe('netDevices', () => {
  it('a sync point where tsrun moves them, right after the init starts', () => {
    const s = spec((x) => void (x.linux.netDevices = { dummy0: { name: 'eth1' } }));
    const { ops } = toPlan(s, opts);
    assert.deepEqual(find(ops, 'sync'), [{ op: 'sync', name: 'netdevices' }]);
    assert.ok(names(ops).indexOf('sync') < names(ops).indexOf('pivot_root'));
  });

  const bad: [string, Record<string, { name?: string }>, RegExp, boolean?][] = [
    ['without a network namespace', { d0: {} }, /^config\.json: linux\.netDevices: needs a network namespace/, true],
    ['a bad host name', { 'a/b': {} }, /^config\.json: linux\.netDevices\.a\/b: "a\/b" is not a valid network device name/],
    ['a too long new name', { d0: { name: 'abcdefghijklmnop' } }, /^config\.json: linux\.netDevices\.d0\.name: "abcdefghijklmnop" is not a valid/],
    ['two devices with one name', { d0: { name: 'eth1' }, d1: { name: 'eth1' } }, /^config\.json: linux\.netDevices\.d1\.name: "eth1" is also the name of d0/],
    ['a bad template', { d0: { name: 'eth%s' } }, /^config\.json: linux\.netDevices\.d0\.name: .*one "%d"/],
  ];
  for (const [what, devices, message, noNet] of bad) {
    it(`refuses ${what}`, () => fails(() => toPlan(spec((s) => {
      s.linux.netDevices = devices;
      if (noNet) s.linux.namespaces = [{ type: 'mount' }];
    }), opts), message));
  }

  function fake(hostAddrs: object[], afterMove: string[] = ['lo', 'eth1']): { run: Runner; calls: string[] } {
    const calls: string[] = [];
    let moved = false;
    const run: Runner = (argv, input) => {
      calls.push(argv.join(' ') + (input ? ` <<< ${input.trim().replace(/\n/g, '; ')}` : ''));
      if (argv.join(' ') === 'ip -j addr show dev missing0') return { status: 1, out: '', err: 'Device "missing0" does not exist.' };
      if (argv[0] === 'ip' && argv[1] === '-j') return { status: 0, out: JSON.stringify([{ ifname: 'd0', addr_info: hostAddrs }]), err: '' };
      if (argv.includes('netns')) moved = true;
      if (argv[0] === 'nsenter' && argv.includes('-j')) return { status: 0, out: JSON.stringify((moved ? afterMove : ['lo']).map((ifname) => ({ ifname }))), err: '' };
      return { status: 0, out: '', err: '' };
    };
    return { run, calls };
  }

  it('moves and renames in one message, keeps permanent global addresses, sets the device up', () => {
    const { run, calls } = fake([
      { family: 'inet', local: '10.9.0.1', prefixlen: 24, scope: 'global', broadcast: '10.9.0.255' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      { family: 'inet6', local: '2001:db8::5', prefixlen: 64, scope: 'global', dynamic: true },
      { family: 'inet6', local: '2001:db8::1', prefixlen: 64, scope: 'global' },
    ]);
    moveNetDevices({ d0: { name: 'eth1' } }, 4242, run);
    assert.deepEqual(calls, [
      'ip -j addr show dev d0',
      'nsenter --net=/proc/4242/ns/net -- ip -j addr show',
      'ip link set dev d0 down',
      'ip link set dev d0 netns 4242 name eth1',
      'nsenter --net=/proc/4242/ns/net -- ip -batch - <<< address add 10.9.0.1/24 broadcast 10.9.0.255 dev eth1; address add 2001:db8::1/64 dev eth1; link set dev eth1 up',
    ]);
  });

  it('finds the name the kernel picked for a %d template', () => {
    const { run, calls } = fake([], ['lo', 'net3']);
    moveNetDevices({ d0: { name: 'net%d' } }, 7, run);
    assert.equal(calls.at(-1), 'nsenter --net=/proc/7/ns/net -- ip -batch - <<< link set dev net3 up');
  });

  it('a device the host does not have is named', () => {
    fails(() => moveNetDevices({ missing0: {} }, 7, fake([]).run), /^config\.json: linux\.netDevices\.missing0: no network device "missing0" on the host/);
  });
});

describe('intelRdt', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-resctrl-'));

  it('is refused where resctrl is not mounted', () => {
    fails(() => resctrlRoot('22 1 0:21 / /proc rw - proc proc rw\n'), /^config\.json: linux\.intelRdt: the resctrl filesystem is not mounted/);
    assert.equal(resctrlRoot('40 22 0:40 / /sys/fs/resctrl rw,relatime - resctrl resctrl rw\n'), '/sys/fs/resctrl');
    fails(() => toPlan(spec((s) => void (s.linux.intelRdt = { closID: 'x' })), opts), /^config\.json: linux\.intelRdt: /);
  });

  it('the parent stage joins the tasks file before clone', () => {
    const { ops } = toPlan(spec((s) => void (s.linux.intelRdt = {})), { ...opts, resctrlTasks: '/r/c1/tasks' });
    const n = names(ops);
    assert.deepEqual(find(ops, 'join_resctrl'), [{ op: 'join_resctrl', path: '/r/c1/tasks' }]);
    assert.ok(n.indexOf('join_resctrl') < n.indexOf('clone'));
  });

  it('without closID: a group named after the container, schemata in the spec\'s order, removed on delete', () => {
    const root = tmp();
    const g = rdtGroup({ l3CacheSchema: 'L3:0=7f0', memBwSchema: 'MB:0=20', schemata: ['L2:0=f'] }, 'c1', root);
    assert.deepEqual(g, { dir: path.join(root, 'c1'), own: true, lines: ['L3:0=7f0', 'MB:0=20', 'L2:0=f'], tasks: path.join(root, 'c1', 'tasks') });
    setupRdt(g, root);
    assert.equal(fs.readFileSync(path.join(root, 'c1', 'schemata'), 'utf8'), 'L3:0=7f0\nMB:0=20\nL2:0=f\n');
    fails(() => setupRdt(g, root), /exists already/);
    fs.rmSync(path.join(root, 'c1', 'schemata'));
    removeRdt(g);
    assert.ok(!fs.existsSync(g.dir));
    fs.rmSync(root, { recursive: true });
  });

  it('with closID: a pre-configured group must exist; one with other schemata is refused; it is never removed', () => {
    const root = tmp();
    fails(() => setupRdt(rdtGroup({ closID: 'gold' }, 'c1', root), root), /^config\.json: linux\.intelRdt\.closID: .*gold: no such resctrl group/);
    fs.mkdirSync(path.join(root, 'gold'));
    fs.writeFileSync(path.join(root, 'gold', 'schemata'), '    L3:0=07f0;1=1f\n    MB:0= 20;1=100\n');
    const ok = rdtGroup({ closID: 'gold', l3CacheSchema: 'L3:0=7f0;1=1f', memBwSchema: 'MB:0=20' }, 'c1', root);
    setupRdt(ok, root);
    fails(() => setupRdt(rdtGroup({ closID: 'gold', memBwSchema: 'MB:0=50' }, 'c1', root), root), /^config\.json: linux\.intelRdt\.closID: .* other schemata than "MB:0=50"/);
    removeRdt(ok);
    assert.ok(fs.existsSync(path.join(root, 'gold')));
    assert.equal(rdtGroup({ closID: '/' }, 'c1', root).tasks, path.join(root, 'tasks'));
    fs.rmSync(root, { recursive: true });
  });

  it('enableMonitoring: a MON group joined instead, removed on delete', () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'gold', 'mon_groups'), { recursive: true });
    const g = rdtGroup({ closID: 'gold', enableMonitoring: true }, 'c1', root);
    assert.equal(g.tasks, path.join(root, 'gold', 'mon_groups', 'c1', 'tasks'));
    setupRdt(g, root);
    assert.ok(fs.existsSync(g.mon!));
    removeRdt(g);
    assert.ok(!fs.existsSync(g.mon!) && fs.existsSync(path.join(root, 'gold')));
    fs.rmSync(root, { recursive: true });
  });

  it('refuses a closID that is a path or the kernel\'s own', () => {
    for (const c of ['a/b', '..', 'info']) fails(() => rdtGroup({ closID: c }, 'c1', '/r'), /^config\.json: linux\.intelRdt\.closID: /);
  });

  it('compares schemata the way the kernel prints them', () => {
    assert.deepEqual(schemataMismatch('L3:0=000ff;1=ff\n', ['L3:0=ff;1=FF']), []);
    assert.deepEqual(schemataMismatch('L3:0=ff\n', ['MB:0=10']), ['MB:0=10']);
  });
});

describe('features', () => {
  it('says which of the fields tsrun implements', () => {
    const linux = features().linux as Record<string, unknown>;
    assert.deepEqual(linux.apparmor, { enabled: true });
    assert.deepEqual(linux.selinux, { enabled: true });
    assert.deepEqual(linux.intelRdt, { enabled: true, schemata: true, monitoring: true });
    assert.deepEqual(linux.netDevices, { enabled: true });
    assert.deepEqual((linux.memoryPolicy as { modes: string[] }).modes.sort(), ['MPOL_BIND', 'MPOL_DEFAULT', 'MPOL_INTERLEAVE', 'MPOL_LOCAL', 'MPOL_PREFERRED', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE']);
  });
});
