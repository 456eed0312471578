// Rootless decisions without root: the state dir, --rootless, how id maps are written (directly with setgroups
// "deny", or through newuidmap/newgidmap), the plan's clone op, `spec --rootless`, and cgroups on a fake cgroupfs
// where some hierarchies cannot be created.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { describeHost } from '../../runtime/src/cgroups/detect.js';
import { CgroupError } from '../../runtime/src/cgroups/errors.js';
import { FakeCgroupFs } from '../../runtime/src/cgroups/fake-fs.js';
import { cgroupManager } from '../../runtime/src/cgroups/manager.js';
import { defaultSpec } from '../../runtime/src/config/default-spec.js';
import { askedControllers, managerFromPaths, rootlessManager } from '../../runtime/src/container/rootless-cgroups.js';
import { type PlanOptions, toPlan } from '../../runtime/src/plan/compile.js';
import { type Op, opWords } from '../../runtime/src/plan/ops.js';
import { defaultRoot, idMapWriters, isRootless } from '../../runtime/src/rootless.js';

describe('rootless: state dir and --rootless', () => {
  it('keeps state under $XDG_RUNTIME_DIR/tsrun when not root, /run/tsrun otherwise (runc\'s rule)', () => {
    assert.equal(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/tsrun');
    assert.equal(defaultRoot({ XDG_RUNTIME_DIR: '/run/user/0' }, 0), '/run/tsrun');
    assert.equal(defaultRoot({}, 1000), '/run/tsrun');
  });

  it('--rootless is true, false or auto (not root)', () => {
    assert.equal(isRootless(undefined, 1000), true);
    assert.equal(isRootless('auto', 0), false);
    assert.equal(isRootless('true', 0), true);
    assert.equal(isRootless('false', 1000), false);
    assert.throws(() => isRootless('yes', 0), /^Error: --rootless: must be true, false or auto, not "yes"$/);
  });
});

describe('rootless: id maps', () => {
  const own = (id: number) => [{ containerID: 0, hostID: id, size: 1 }];
  const range = (id: number) => [...own(id), { containerID: 1, hostID: 100000, size: 65536 }];
  const tools = (name: string) => `/usr/bin/${name}`;

  it('root writes any map itself', () => {
    assert.deepEqual(idMapWriters({ uid: range(0), gid: range(0) }, { euid: 0, egid: 0 }, tools), { uidTool: '', gidTool: '', setgroups: '' });
  });

  it('a user writes its own single id itself, gid_map after setgroups "deny"', () => {
    assert.deepEqual(idMapWriters({ uid: own(1000), gid: own(1001) }, { euid: 1000, egid: 1001 }, tools), { uidTool: '', gidTool: '', setgroups: 'deny' });
  });

  it('a user maps ranges (or another id) through newuidmap and newgidmap, leaving setgroups to newgidmap', () => {
    assert.deepEqual(idMapWriters({ uid: range(1000), gid: range(1000) }, { euid: 1000, egid: 1000 }, tools), { uidTool: '/usr/bin/newuidmap', gidTool: '/usr/bin/newgidmap', setgroups: '' });
    assert.deepEqual(idMapWriters({ uid: own(1000), gid: own(5) }, { euid: 1000, egid: 1000 }, tools), { uidTool: '', gidTool: '/usr/bin/newgidmap', setgroups: '' });
  });

  it('without newuidmap, a range is refused naming the field and the package', () => {
    assert.throws(
      () => idMapWriters({ uid: range(1000), gid: own(1000) }, { euid: 1000, egid: 1000 }, () => undefined),
      /^Error: config\.json: linux\.uidMappings: as uid 1000, a mapping other than your own uid alone needs newuidmap \(Debian package uidmap\) and a range in \/etc\/subuid$/,
    );
  });

  it('the plan\'s clone carries setgroups "deny" for a user, and the tools as two more words on the wire', () => {
    const spec = defaultSpec({ rootless: true, uid: 1000, gid: 1000 });
    spec.process!.terminal = false;
    const opts: PlanOptions = {
      id: 'c1', bundle: '/b', rootfs: '/b/rootfs', fifo: '/x/c1/exec.fifo', listenFds: 0, preserveFds: 0, noPivot: false, noNewKeyring: false,
      cgroupMode: 'v1', hierarchies: [], warn: () => {}, caller: { euid: 1000, egid: 1000 },
    };
    const clone = toPlan(spec, opts).ops.find((o): o is Extract<Op, { op: 'clone' }> => o.op === 'clone');
    assert.deepEqual(clone, { op: 'clone', flags: 0x20000000 | 0x08000000 | 0x04000000 | 0x00020000 | 0x10000000, uidMap: '0 1000 1\n', gidMap: '0 1000 1\n', setgroups: 'deny' });
    const asRoot = toPlan(spec, { ...opts, caller: undefined }).ops.find((o) => o.op === 'clone');
    assert.equal(asRoot?.op === 'clone' && asRoot.setgroups, '');
    assert.deepEqual(opWords({ op: 'clone', flags: 1, uidMap: 'u', gidMap: 'g', setgroups: '', uidTool: '/usr/bin/newuidmap' }), ['clone', '1', 'u', 'g', '', '/usr/bin/newuidmap', '']);
  });
});

describe('rootless: spec --rootless', () => {
  it('matches runc spec --rootless: user namespace with the caller\'s ids, no network namespace, /sys bound, no gid= on devpts', () => {
    const s = defaultSpec({ rootless: true, uid: 1234, gid: 4321 });
    assert.deepEqual(s.linux?.namespaces?.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'user']);
    assert.deepEqual(s.linux?.uidMappings, [{ containerID: 0, hostID: 1234, size: 1 }]);
    assert.deepEqual(s.linux?.gidMappings, [{ containerID: 0, hostID: 4321, size: 1 }]);
    const byDest = new Map((s.mounts ?? []).map((m) => [m.destination, m]));
    assert.deepEqual(byDest.get('/sys'), { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    assert.equal(byDest.get('/dev/pts')?.options?.some((o) => o.startsWith('gid=')), false);
    assert.equal(byDest.get('/sys/fs/cgroup')?.type, 'cgroup');
    assert.equal(s.linux?.resources, undefined, 'no device rules: an unprivileged user cannot write them');
  });
});

describe('rootless: cgroups', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** A hybrid host under a tmpdir: memory, pids and freezer v1 hierarchies plus cgroup2. */
  function host() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-rootless-cg-'));
    dirs.push(root);
    const v1 = ['memory', 'pids', 'freezer'];
    for (const c of v1) FakeCgroupFs.seedV1(path.join(root, c), { files: c === 'pids' ? { 'pids.max': 'max\n' } : {} });
    FakeCgroupFs.seedV2(path.join(root, 'unified'), []);
    const lines = v1.map((c, i) => `${30 + i} 1 0:${30 + i} / ${root}/${c} rw - cgroup cgroup rw,${c}`);
    lines.push(`40 1 0:40 / ${root}/unified rw - cgroup2 cgroup2 rw`);
    return { root, host: describeHost(lines.join('\n'), [...v1.map((c, i) => `${i + 1}:${c}:/`), '0::/'].join('\n')) };
  }

  it('names the cgroup each limit needs', () => {
    assert.deepEqual(askedControllers({ memory: {}, cpu: { shares: 2, cpus: '0' }, pids: { limit: 5 }, devices: [{ allow: false }] }), [['cpu', 'cpu'], ['cpu.cpus', 'cpuset'], ['pids.limit', 'pids']]);
  });

  it('leaves out the hierarchies the user may not create, keeps the delegated ones, and refuses limits that need the others', async () => {
    const { root, host: h } = host();
    // memory is not delegated: mkdir fails in the first, all-at-once attempt and again on its own.
    const io = new FakeCgroupFs().failOn('mkdir', '/memory/c1', 'EACCES').failOn('mkdir', '/memory/c1', 'EACCES');
    const m = rootlessManager(cgroupManager(undefined, 'c1', h, { io }), { explicitPath: false, io });
    await m.create();
    assert.deepEqual(m.paths(), { pids: `${root}/pids/c1`, freezer: `${root}/freezer/c1`, unified: `${root}/unified/c1` });
    m.apply({ devices: [{ allow: false, access: 'rwm' }] });
    assert.equal(io.calls.some((c) => c.path.includes('devices.')), false, 'device rules are never written');
    m.apply({ pids: { limit: 10 } });
    assert.equal(fs.readFileSync(`${root}/pids/c1/pids.max`, 'utf8'), '10');
    assert.throws(
      () => m.apply({ memory: { limit: 1 << 20 } }),
      (e) => e instanceof CgroupError && e.message === `linux.resources.memory: cannot be set: running rootless, the container has no memory cgroup (cgroup: mkdir ${root}/memory/c1: EACCES (permission denied)); delegate one to uid ${process.geteuid?.()} or leave the limit out`,
    );
    await m.destroy();
    for (const c of ['pids', 'freezer', 'unified']) assert.equal(fs.existsSync(`${root}/${c}/c1`), false, c);
  });

  it('runs without cgroups when none can be created, and a recorded container without them has nothing to remove', async () => {
    const { host: h } = host();
    const failAll = new FakeCgroupFs();
    const deny = (p: string) => p.endsWith('/c1');
    for (let i = 0; i < 8; i++) failAll.failOn('mkdir', deny, 'EPERM');
    const m = rootlessManager(cgroupManager(undefined, 'c1', h, { io: failAll }), { explicitPath: false, io: failAll });
    await m.create();
    assert.deepEqual(m.paths(), {});
    m.apply({});
    assert.throws(() => m.apply({ pids: { limit: 1 } }), /^CgroupError: linux\.resources\.pids\.limit: cannot be set: running rootless, the container has no pids cgroup \(cgroup: mkdir \S+\/pids\/c1: EPERM/);
    const rec = managerFromPaths({}, []);
    assert.deepEqual(rec.pids(), []);
    await rec.destroy();
  });

  it('with linux.cgroupsPath, a cgroup the user may not create is an error, as for root', async () => {
    const { root, host: h } = host();
    const io = new FakeCgroupFs().failOn('mkdir', '/pids/mine', 'EACCES');
    const m = rootlessManager(cgroupManager('/mine', 'c1', h, { io }), { explicitPath: true, io });
    await assert.rejects(m.create(), (e) => e instanceof CgroupError && e.message === `cgroup: mkdir ${root}/pids/mine: EACCES (permission denied): running rootless: linux.cgroupsPath must name a cgroup delegated to this user`);
    for (const c of ['memory', 'pids', 'freezer', 'unified']) assert.equal(fs.existsSync(`${root}/${c}/mine`), false, c);
  });
});
