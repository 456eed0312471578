// cgroups without root: host detection from sample mountinfo texts, cgroupsPath rules, and the managers on a tmpdir
// that behaves like cgroupfs (FakeCgroupFs).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { describeHost, detect, systemdAvailable, type CgroupHost } from '../../runtime/src/cgroups/detect.js';
import { CgroupError } from '../../runtime/src/cgroups/errors.js';
import { FakeCgroupFs } from '../../runtime/src/cgroups/fake-fs.js';
import { cgroupManager, fromPaths, UNIFIED } from '../../runtime/src/cgroups/manager.js';
import { cleanCgroupsPath, parseCgroupsPath } from '../../runtime/src/cgroups/paths.js';

// This machine: cgroup v1 hybrid, separate cpu and cpuacct, cgroup2 at /sys/fs/cgroup/unified.
const HYBRID_MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/80975cf3
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

// A legacy (v1-only) host with combined mounts, as on CentOS 7.
const LEGACY_MOUNTINFO = `25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct
30 25 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,net_cls,net_prio
31 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuset
32 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
33 25 0:29 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,hugetlb
`;
const LEGACY_CGROUP = `7:hugetlb:/
6:memory:/user.slice
5:cpuset:/
4:net_cls,net_prio:/
3:cpu,cpuacct:/user.slice
1:name=systemd:/user.slice/user-0.slice/session-1.scope
`;

// A pure v2 host (most of the world).
const V2_MOUNTINFO = `24 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_CGROUP = '0::/user.slice/user-1000.slice/session-3.scope\n';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cgroups-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => fs.mkdtempSync(path.join(tmp, `fs${n++}-`));

const codeOf = (code: string) => (err: unknown) => err instanceof CgroupError && err.code === code;

describe('detect', () => {
  it('describes this machine\'s hybrid layout', () => {
    const host = describeHost(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    assert.equal(host.mode, 'v1');
    assert.ok(host.mode === 'v1');
    assert.deepEqual(host.hierarchies, {
      cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpuacct', cpuset: '/sys/fs/cgroup/cpuset', memory: '/sys/fs/cgroup/memory',
      devices: '/sys/fs/cgroup/devices', freezer: '/sys/fs/cgroup/freezer', blkio: '/sys/fs/cgroup/blkio', pids: '/sys/fs/cgroup/pids',
      'name=systemd': '/sys/fs/cgroup/systemd',
    });
    assert.deepEqual(host.unified, { mountPoint: '/sys/fs/cgroup/unified', root: '/', controllers: [] });
    assert.equal(host.own.memory, '/process_api/80975cf3');
    assert.equal(host.own[''], '/');
  });

  it('notes combined v1 mounts and a legacy host without cgroup2', () => {
    const host = describeHost(LEGACY_MOUNTINFO, LEGACY_CGROUP);
    assert.ok(host.mode === 'v1');
    assert.equal(host.unified, null);
    assert.equal(host.hierarchies.cpu, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(host.hierarchies.cpuacct, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(host.hierarchies.net_prio, '/sys/fs/cgroup/net_cls,net_prio');
    assert.equal(host.hierarchies['name=systemd'], '/sys/fs/cgroup/systemd');
    assert.deepEqual(host.mounts.find((m) => m.mountPoint.endsWith('cpu,cpuacct'))?.controllers, ['cpu', 'cpuacct']);
    assert.ok(!('xattr' in host.hierarchies) && !('rw' in host.hierarchies));
  });

  it('describes a pure v2 host', () => {
    const host = describeHost(V2_MOUNTINFO, V2_CGROUP);
    assert.deepEqual(host, {
      mode: 'v2', unified: { mountPoint: '/sys/fs/cgroup', root: '/', controllers: [] },
      own: { '': '/user.slice/user-1000.slice/session-3.scope' }, systemd: false,
    });
  });

  it('decodes escaped mount points and fails clearly without any cgroup mount', () => {
    const host = describeHost('40 31 0:37 / /mnt/cg\\040x rw - cgroup cgroup rw,name=test\n', '1:name=test:/\n');
    assert.ok(host.mode === 'v1');
    assert.equal(host.hierarchies['name=test'], '/mnt/cg x');
    assert.throws(() => describeHost('27 1 254:0 / / rw - ext4 /dev/vda rw\n', '0::/\n'), /no cgroup or cgroup2 filesystem is mounted/);
  });

  it('reads injectable files, and the real host', () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, 'mountinfo'), V2_MOUNTINFO);
    fs.writeFileSync(path.join(dir, 'cgroup'), V2_CGROUP);
    fs.mkdirSync(path.join(dir, 'systemd'));
    const host = detect({ mountinfo: path.join(dir, 'mountinfo'), cgroup: path.join(dir, 'cgroup'), systemdDir: path.join(dir, 'systemd') });
    assert.equal(host.mode, 'v2');
    assert.equal(host.systemd, true);
    assert.throws(() => detect({ mountinfo: path.join(dir, 'nope') }), /^CgroupError: cgroup: read .*nope: ENOENT \(no such file or directory\)$/);
    assert.ok(['v1', 'v2'].includes(detect().mode));
    assert.equal(systemdAvailable(path.join(dir, 'missing')), false);
  });
});

describe('cgroupsPath', () => {
  const hybrid = describeHost(HYBRID_MOUNTINFO, HYBRID_CGROUP);
  const v2 = describeHost(V2_MOUNTINFO, V2_CGROUP);

  it('absolute: relative to each hierarchy\'s mount point', () => {
    const p = cgroupManager('/a/b', 'c1', hybrid).paths();
    assert.equal(p.cpu, '/sys/fs/cgroup/cpu/a/b');
    assert.equal(p.memory, '/sys/fs/cgroup/memory/a/b');
    assert.equal(p['name=systemd'], '/sys/fs/cgroup/systemd/a/b');
    assert.equal(p[UNIFIED], '/sys/fs/cgroup/unified/a/b');
    assert.equal(Object.keys(p).length, 10);
    assert.deepEqual(cgroupManager('/a/b', 'c1', v2).paths(), { [UNIFIED]: '/sys/fs/cgroup/a/b' });
    const legacy = cgroupManager('//a/./b/', 'c1', describeHost(LEGACY_MOUNTINFO, LEGACY_CGROUP)).paths();
    assert.equal(legacy.cpuacct, '/sys/fs/cgroup/cpu,cpuacct/a/b');
  });

  it('relative: under the runtime\'s own cgroup (v1), under its parent (v2)', () => {
    const p = cgroupManager('x/y', 'c1', hybrid).paths();
    assert.equal(p.memory, '/sys/fs/cgroup/memory/process_api/80975cf3/x/y');
    assert.equal(p.cpu, '/sys/fs/cgroup/cpu/x/y');
    assert.equal(p[UNIFIED], '/sys/fs/cgroup/unified/x/y');
    assert.deepEqual(cgroupManager('x', 'c1', v2).paths(), { [UNIFIED]: '/sys/fs/cgroup/user.slice/user-1000.slice/x' });
  });

  it('empty or absent: the container id, relative', () => {
    assert.equal(cgroupManager(undefined, 'c1', hybrid).paths().memory, '/sys/fs/cgroup/memory/process_api/80975cf3/c1');
    assert.deepEqual(cgroupManager('', 'c1', v2).paths(), { [UNIFIED]: '/sys/fs/cgroup/user.slice/user-1000.slice/c1' });
  });

  it('relative paths in a nested container start from the mount\'s root', () => {
    const host = describeHost('50 1 0:40 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n', '4:memory:/docker/abc/sub\n');
    assert.equal(cgroupManager('c1', 'c1', host).paths().memory, '/sys/fs/cgroup/memory/sub/c1');
  });

  it('refuses ".." that escapes, and the root or own cgroup itself', () => {
    assert.equal(cleanCgroupsPath('/a/../b/./c/'), '/b/c');
    assert.equal(cleanCgroupsPath('a/b/..'), 'a');
    for (const bad of ['/../x', '/a/../../x', '../x', 'a/../../x']) {
      assert.throws(() => cgroupManager(bad, 'c1', hybrid), (e) => codeOf('EINVALIDPATH')(e) && /"\.\." leads/.test((e as Error).message), bad);
    }
    assert.throws(() => cleanCgroupsPath('/'), /cgroupsPath "\/": names the root cgroup/);
    assert.throws(() => cleanCgroupsPath('.'), /names the runtime's own cgroup/);
  });

  it('systemd form: validated, and refused without systemd', () => {
    assert.deepEqual(parseCgroupsPath('system.slice:docker:abc', 'abc', { systemd: true }), {
      driver: 'systemd', given: 'system.slice:docker:abc', slice: 'system.slice', prefix: 'docker', name: 'abc',
    });
    assert.equal((parseCgroupsPath(undefined, 'abc', { systemd: true }) as { prefix: string }).prefix, 'runc');
    assert.throws(() => parseCgroupsPath('/a/b', 'abc', { systemd: true }), /expected the form "slice:prefix:name"/);
    assert.throws(() => parseCgroupsPath('foo:docker:abc', 'abc', { systemd: true }), /must end in "\.slice"/);
    assert.throws(
      () => cgroupManager('system.slice:docker:abc', 'abc', hybrid, { systemd: true }),
      (e) => codeOf('ENOSYSTEMD')(e) && (e as Error).message === 'cgroupsPath "system.slice:docker:abc": systemd cgroup driver is not available (no systemd running)',
    );
    // Without --systemd-cgroup, runc takes the same string as a relative directory name.
    assert.equal(cgroupManager('system.slice:docker:abc', 'abc', v2).paths()[UNIFIED], '/sys/fs/cgroup/user.slice/user-1000.slice/system.slice:docker:abc');
  });
});

/** A hybrid "host" whose hierarchies are directories under root, seeded like the kernel's. */
function fakeHybrid(root: string): CgroupHost {
  const v1 = ['cpu', 'cpuset', 'memory', 'freezer', 'name=systemd'];
  for (const c of v1) FakeCgroupFs.seedV1(path.join(root, c), c === 'cpuset' ? { cpuset: { cpus: '0-3', mems: '0' } } : {});
  FakeCgroupFs.seedV2(path.join(root, 'unified'), ['hugetlb']);
  const lines = v1.map((c, i) => `${30 + i} 1 0:${30 + i} / ${root}/${c} rw - cgroup cgroup rw,${c}`);
  lines.push(`40 1 0:40 / ${root}/unified rw - cgroup2 cgroup2 rw`);
  return describeHost(lines.join('\n'), [...v1.map((c, i) => `${i + 1}:${c}:/`), '0::/'].join('\n'));
}

function fakeV2(root: string, available: string[], enabled: string[] = []): CgroupHost {
  FakeCgroupFs.seedV2(root, available, enabled);
  return describeHost(`35 1 0:30 / ${root} rw - cgroup2 cgroup2 rw`, '0::/\n');
}

const read = (p: string): string => fs.readFileSync(p, 'utf8');
const clearProcs = (dir: string): void => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.name === 'cgroup.procs') fs.writeFileSync(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name), '');
  }
  if (fs.existsSync(path.join(dir, 'cgroup.procs'))) fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
};

describe('v1 manager on a fake cgroupfs', () => {
  it('creates every level, copies cpuset values down, joins, lists pids, and destroys only what it made', async () => {
    const root = freshDir();
    const host = fakeHybrid(root);
    fs.mkdirSync(path.join(root, 'cpuset/pre'));
    fs.writeFileSync(path.join(root, 'cpuset/pre/cpuset.cpus'), '1\n');
    fs.writeFileSync(path.join(root, 'cpuset/pre/cpuset.mems'), '0\n');
    fs.writeFileSync(path.join(root, 'cpuset/pre/cgroup.procs'), '');
    FakeCgroupFs.seedV1(path.join(root, 'memory/pre'));
    const io = new FakeCgroupFs();
    const m = cgroupManager('/pre/a/c1', 'c1', host, { io });
    await m.create();

    assert.equal(m.version, 'v1');
    assert.equal(read(path.join(root, 'cpuset/pre/a/cpuset.cpus')), '1');
    assert.equal(read(path.join(root, 'cpuset/pre/a/c1/cpuset.mems')), '0');
    assert.ok(m.createdDirs().includes(path.join(root, 'cpu/pre')));
    assert.ok(!m.createdDirs().includes(path.join(root, 'memory/pre')) && !m.createdDirs().includes(path.join(root, 'cpuset/pre')));
    assert.ok(fs.existsSync(path.join(root, 'unified/pre/a/c1')));
    assert.ok(!io.calls.some((c) => c.op === 'write' && path.dirname(c.path) === path.join(root, 'cpuset/pre')), 'pre-existing cpuset untouched');
    assert.ok(!io.calls.some((c) => c.path.includes('subtree_control')), 'hybrid: no controllers enabled in the unified hierarchy');

    m.join(4242);
    for (const f of m.procsFiles()) assert.equal(read(f), '4242\n', f);
    assert.equal(m.procsFiles().length, 6);
    io.mkdir(path.join(root, 'freezer/pre/a/c1/inner'));
    io.write(path.join(root, 'freezer/pre/a/c1/inner/cgroup.procs'), '4343');
    assert.deepEqual(m.pids(), [4242, 4343]);

    clearProcs(root);
    io.calls.length = 0;
    await m.destroy();
    for (const c of ['cpu', 'cpuset', 'memory', 'freezer', 'name=systemd', 'unified']) {
      assert.ok(!fs.existsSync(path.join(root, c, 'pre/a')), `${c}/pre/a removed`);
    }
    assert.ok(fs.existsSync(path.join(root, 'cpuset/pre')) && fs.existsSync(path.join(root, 'memory/pre')), 'pre-existing parents kept');
    assert.ok(!fs.existsSync(path.join(root, 'cpu/pre')), 'parent made by create is removed');
    const rmdirs = io.calls.filter((c) => c.op === 'rmdir').map((c) => c.path);
    assert.ok(rmdirs.indexOf(path.join(root, 'freezer/pre/a/c1/inner')) < rmdirs.indexOf(path.join(root, 'freezer/pre/a/c1')), 'children first');
    assert.ok(!rmdirs.includes(path.join(root, 'cpuset/pre')) && !rmdirs.includes(path.join(root, 'memory/pre')));
    assert.deepEqual(m.createdDirs(), []);
    await m.destroy();
    assert.deepEqual(m.pids(), []);
  });

  it('fills an empty cpuset parent that a concurrent create made and has not filled yet', async () => {
    const root = freshDir();
    const host = fakeHybrid(root);
    const io = new FakeCgroupFs();
    io.mkdir(path.join(root, 'cpuset/shared')); // the other create's mkdir, before its initDir
    assert.equal(read(path.join(root, 'cpuset/shared/cpuset.cpus')), '');
    const m = cgroupManager('/shared/c1', 'c1', host, { io });
    await m.create();
    assert.equal(read(path.join(root, 'cpuset/shared/cpuset.cpus')), '0-3');
    assert.equal(read(path.join(root, 'cpuset/shared/c1/cpuset.mems')), '0');
    assert.ok(!m.createdDirs().includes(path.join(root, 'cpuset/shared')), 'the parent stays the other create\'s');
    m.join(4242);
    assert.equal(read(path.join(root, 'cpuset/shared/c1/cgroup.procs')), '4242\n');
  });

  it('rolls back its own directories when a mkdir fails, with a one-line error', async () => {
    const root = freshDir();
    const host = fakeHybrid(root);
    const io = new FakeCgroupFs().failOn('mkdir', '/memory/a', 'EACCES');
    const m = cgroupManager('/a/b', 'c1', host, { io });
    await assert.rejects(m.create(), (e) => codeOf('EACCES')(e) && (e as Error).message === `cgroup: mkdir ${root}/memory/a: EACCES (permission denied)`);
    for (const c of ['cpu', 'cpuset', 'memory', 'freezer', 'name=systemd', 'unified']) assert.deepEqual(fs.readdirSync(path.join(root, c)).filter((f) => !f.includes('.')), [], c);
    assert.deepEqual(m.createdDirs(), []);
  });

  it('reports both errors when the rollback fails too', async () => {
    const root = freshDir();
    const io = new FakeCgroupFs().failOn('write', '/cpuset/a/b/cpuset.mems', 'EIO').failOn('rmdir', '/cpu/a', 'EPERM');
    const m = cgroupManager('/a/b', 'c1', fakeHybrid(root), { io });
    await assert.rejects(m.create(), /^CgroupError: cgroup: write .*\/cpuset\/a\/b\/cpuset\.mems "0": EIO \(input\/output error\); cleanup also failed: cgroup: rmdir .*\/cpu\/a: EPERM/);
  });

  it('refuses a cgroup that already has processes, and explains an empty cpuset', async () => {
    const root = freshDir();
    const host = fakeHybrid(root);
    const io = new FakeCgroupFs();
    io.mkdir(path.join(root, 'memory/c1'));
    io.write(path.join(root, 'memory/c1/cgroup.procs'), '77');
    await assert.rejects(cgroupManager('/c1', 'c1', host, { io }).create(), codeOf('ECGROUPNOTEMPTY'));
    assert.ok(!fs.existsSync(path.join(root, 'cpu/c1')));

    fs.mkdirSync(path.join(root, 'cpuset/empty'));
    for (const f of ['cgroup.procs', 'cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(root, 'cpuset/empty', f), '');
    const m = cgroupManager('/empty', 'c1', host, { io });
    await m.create();
    assert.throws(() => m.join(5), /cpuset\/empty\/cgroup\.procs "5": ENOSPC \(no space left on device\): cpuset\.cpus or cpuset\.mems of the cgroup is empty/);
  });

  it('destroy retries while the last processes exit, then gives up with EBUSY', async () => {
    const root = freshDir();
    const io = new FakeCgroupFs();
    const m = cgroupManager('/c1', 'c1', fakeHybrid(root), { io });
    await m.create();
    m.join(10);
    setTimeout(() => clearProcs(root), 40);
    await m.destroy();
    assert.ok(!fs.existsSync(path.join(root, 'freezer/c1')));

    const stuck = cgroupManager('/c2', 'c2', fakeHybrid(freshDir()), { io });
    await stuck.create();
    stuck.join(11);
    await assert.rejects(stuck.destroy(), (e) => codeOf('EBUSY')(e) && /rmdir .*c2: EBUSY \(device or resource busy\): the cgroup still has processes \(and 5 more/.test((e as Error).message));
    assert.equal(stuck.createdDirs().length, 6, 'what is left stays recorded');
  });

  it('fromPaths rebuilds the manager from recorded state', async () => {
    const root = freshDir();
    const io = new FakeCgroupFs();
    const m = cgroupManager('/p/c1', 'c1', fakeHybrid(root), { io });
    await m.create();
    const again = fromPaths(m.paths(), { created: m.createdDirs(), io });
    assert.equal(again.version, 'v1');
    assert.deepEqual(again.paths(), m.paths());
    again.join(99);
    assert.deepEqual(m.pids(), [99]);
    clearProcs(root);
    await again.destroy();
    assert.ok(!fs.existsSync(path.join(root, 'cpu/p')));

    // Without a record of what was created, only the container's own directories go.
    await m.create();
    await fromPaths(m.paths(), { io }).destroy();
    assert.ok(fs.existsSync(path.join(root, 'cpu/p')) && !fs.existsSync(path.join(root, 'cpu/p/c1')));
  });
});

describe('v2 manager on a fake cgroupfs', () => {
  it('enables available controllers in every parent, not in the container\'s cgroup', async () => {
    const root = freshDir();
    const io = new FakeCgroupFs();
    const m = cgroupManager('/kubepods/pod1/c1', 'c1', fakeV2(root, ['cpu', 'io', 'memory', 'pids'], ['memory']), { io });
    await m.create();
    assert.equal(m.version, 'v2');
    assert.deepEqual(io.calls.filter((c) => c.op === 'write').map((c) => [path.relative(root, c.path), c.data]), [
      ['cgroup.subtree_control', '+cpu +io +pids'],
      ['kubepods/cgroup.subtree_control', '+cpu +io +memory +pids'],
      ['kubepods/pod1/cgroup.subtree_control', '+cpu +io +memory +pids'],
    ]);
    assert.equal(read(path.join(root, 'kubepods/pod1/c1/cgroup.controllers')), 'cpu io memory pids\n');
    m.join(7);
    assert.deepEqual(m.procsFiles(), [path.join(root, 'kubepods/pod1/c1/cgroup.procs')]);
    assert.deepEqual(m.pids(), [7]);
    clearProcs(root);
    await m.destroy();
    assert.deepEqual(fs.readdirSync(root).filter((f) => !f.startsWith('cgroup.')), []);
  });

  it('explains a parent that has processes (no internal processes) and names the controller', async () => {
    const root = freshDir();
    const host = fakeV2(root, ['memory', 'pids'], ['memory', 'pids']);
    const io = new FakeCgroupFs();
    io.mkdir(path.join(root, 'busy'));
    io.write(path.join(root, 'busy/cgroup.procs'), '999');
    const m = cgroupManager('/busy/c1', 'c1', host, { io });
    await assert.rejects(m.create(), (e) => codeOf('EBUSY')(e) && (e as Error).message ===
      `cgroup: write ${root}/busy/cgroup.subtree_control "+memory": EBUSY (device or resource busy): enabling memory: the cgroup has processes of its own, and cgroup v2 lets only cgroups without processes enable controllers for their children`);
    assert.ok(!fs.existsSync(path.join(root, 'busy/c1')));
  });

  it('rolls back the levels it made when enabling fails further down', async () => {
    const root = freshDir();
    const io = new FakeCgroupFs().failOn('write', '/a/cgroup.subtree_control', 'EACCES');
    const m = cgroupManager('/a/b', 'c1', fakeV2(root, ['pids']), { io });
    await assert.rejects(m.create(), /^CgroupError: cgroup: write .*\/a\/cgroup\.subtree_control "\+pids": EACCES \(permission denied\)$/);
    assert.ok(!fs.existsSync(path.join(root, 'a')));
  });

  it('fromPaths recognises a v2 record and finds the hierarchy root itself', async () => {
    const root = freshDir();
    const io = new FakeCgroupFs();
    fakeV2(root, ['pids']);
    const m = fromPaths({ [UNIFIED]: path.join(root, 'x/c1') }, { io });
    assert.equal(m.version, 'v2');
    await m.create();
    assert.equal(read(path.join(root, 'x/cgroup.subtree_control')), 'pids\n');
    assert.deepEqual(new Set(m.createdDirs()), new Set([path.join(root, 'x'), path.join(root, 'x/c1')]));
    await m.destroy();
    assert.ok(!fs.existsSync(path.join(root, 'x')));
  });
});
