// linux.resources without root: the managers' apply() on a tmpdir that behaves like cgroupfs (FakeCgroupFs), checked
// by the exact files and values written, in order, for v1 and v2; runc's conversions; the memory+swap order; the
// devices emulator's minimal updates; and the one-line errors.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { CgroupHost } from '../../runtime/src/cgroups/detect.js';
import { CgroupError } from '../../runtime/src/cgroups/errors.js';
import { FakeCgroupFs } from '../../runtime/src/cgroups/fake-fs.js';
import { cgroupManager, fromPaths, type CgroupManager } from '../../runtime/src/cgroups/manager.js';
import type { LinuxResources } from '../../runtime/src/cgroups/resources.js';
import { parseDevicesList, transition } from '../../runtime/src/cgroups/v1/devices.js';
import { sharesToWeight } from '../../runtime/src/cgroups/v2/cpu.js';
import { blkioWeightToIoWeight } from '../../runtime/src/cgroups/v2/io.js';
import { swapV2 } from '../../runtime/src/cgroups/v2/memory.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cgres-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const MAX = '9223372036854771712\n';

// v1: one hierarchy per controller, with the files and initial values of this machine's kernel (no CFQ: BFQ weights).
const V1_FILES: Record<string, Record<string, string>> = {
  cpu: { 'cpu.shares': '1024\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_burst_us': '0\n', 'cpu.idle': '0\n', 'cpu.rt_runtime_us': '0\n', 'cpu.rt_period_us': '1000000\n' },
  cpuset: {},
  memory: {
    'memory.limit_in_bytes': MAX, 'memory.memsw.limit_in_bytes': MAX, 'memory.soft_limit_in_bytes': MAX, 'memory.swappiness': '60\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.usage_in_bytes': '5000000\n', 'memory.max_usage_in_bytes': '6000000\n',
  },
  devices: { 'devices.list': 'a *:* rwm\n', 'devices.allow': '', 'devices.deny': '' },
  pids: { 'pids.max': 'max\n' },
  blkio: {
    'blkio.bfq.weight': '100\n', 'blkio.bfq.weight_device': '', 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
  },
  freezer: {},
};

interface Setup {
  fake: FakeCgroupFs;
  m: CgroupManager;
  dir: (controller: string) => string;
  /** [file relative to the hierarchy root, data] of every write since the last call. */
  writes: () => [string, string][];
}

async function setup(version: 'v1' | 'v2', opts: { v2Controllers?: string[] } = {}): Promise<Setup> {
  const root = fs.mkdtempSync(path.join(tmp, `${version}-${n++}-`));
  let host: CgroupHost;
  if (version === 'v1') {
    const names = Object.keys(V1_FILES);
    for (const c of names) FakeCgroupFs.seedV1(path.join(root, c), { files: V1_FILES[c] ?? {}, ...(c === 'cpuset' ? { cpuset: { cpus: '0-3', mems: '0' } } : {}) });
    host = {
      mode: 'v1', hierarchies: Object.fromEntries(names.map((c) => [c, path.join(root, c)])),
      mounts: names.map((c) => ({ mountPoint: path.join(root, c), root: '/', controllers: [c] })),
      unified: null, own: Object.fromEntries(names.map((c) => [c, '/'])), systemd: false,
    };
  } else {
    FakeCgroupFs.seedV2(root, opts.v2Controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma']);
    host = { mode: 'v2', unified: { mountPoint: root, root: '/', controllers: [] }, own: { '': '/' }, systemd: false };
  }
  const fake = new FakeCgroupFs();
  const m = cgroupManager('/ctr', 'ctr', host, { io: fake });
  await m.create();
  let seen = fake.calls.length;
  return {
    fake, m,
    dir: (c) => (version === 'v1' ? path.join(root, c, 'ctr') : path.join(root, 'ctr')),
    writes() {
      const out = fake.calls.slice(seen).filter((c) => c.op === 'write').map((c): [string, string] => [path.relative(root, c.path), c.data ?? '']);
      seen = fake.calls.length;
      return out;
    },
  };
}

const read = (p: string): string => fs.readFileSync(p, 'utf8');
const failsWith = (code: string, message: string | RegExp) => (err: unknown) => {
  assert.ok(err instanceof CgroupError, String(err));
  assert.equal(err.code, code);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
  return true;
};

/** runc's default devices, in its order, which is also the order of the writes after the spec's own rules. */
const DEFAULT_DEVICES: [string, string][] = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm']
  .map((rule) => ['devices/ctr/devices.allow', rule]);

describe('apply on cgroup v1', () => {
  it('writes every controller\'s files in runc\'s order and values', async () => {
    const s = await setup('v1');
    const warnings: string[] = [];
    const r: LinuxResources = {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
      memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 10, disableOOMKiller: true, kernel: -1 },
      cpu: { shares: 512, quota: 50000, period: 100000, burst: 10000, idle: 1, realtimeRuntime: 950, realtimePeriod: 1000000, cpus: '1', mems: '0' },
      pids: { limit: 100 },
      blockIO: {
        weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
      },
      network: { classID: 0, priorities: [] },
    };
    s.m.apply(r, { warn: (w) => warnings.push(w) });
    assert.deepEqual(s.writes(), [
      ['cpuset/ctr/cpuset.cpus', '1'], ['cpuset/ctr/cpuset.mems', '0'],
      ['devices/ctr/devices.deny', 'a *:* rwm'], ['devices/ctr/devices.allow', 'c 10:229 rw'], ...DEFAULT_DEVICES,
      ['memory/ctr/memory.limit_in_bytes', '67108864'], ['memory/ctr/memory.memsw.limit_in_bytes', '134217728'],
      ['memory/ctr/memory.soft_limit_in_bytes', '33554432'], ['memory/ctr/memory.oom_control', '1'], ['memory/ctr/memory.swappiness', '10'],
      ['cpu/ctr/cpu.shares', '512'], ['cpu/ctr/cpu.cfs_period_us', '100000'], ['cpu/ctr/cpu.cfs_burst_us', '10000'],
      ['cpu/ctr/cpu.cfs_quota_us', '50000'], ['cpu/ctr/cpu.idle', '1'], ['cpu/ctr/cpu.rt_period_us', '1000000'], ['cpu/ctr/cpu.rt_runtime_us', '950'],
      ['pids/ctr/pids.max', '100'],
      ['blkio/ctr/blkio.bfq.weight', '500'], ['blkio/ctr/blkio.bfq.weight_device', '8:0 300'],
      ['blkio/ctr/blkio.throttle.read_bps_device', '8:0 600'], ['blkio/ctr/blkio.throttle.write_iops_device', '8:16 300'],
    ]);
    assert.equal(read(path.join(s.dir('devices'), 'devices.list')).split('\n').filter(Boolean).length, 12);
    assert.deepEqual(warnings, ['linux.resources.memory.kernel is ignored: kernel memory limits are deprecated by the kernel, and runc ignores them too']);
  });

  it('applies only runc\'s default devices without resources, and nothing else', async () => {
    const s = await setup('v1');
    s.m.apply({});
    assert.deepEqual(s.writes(), [['devices/ctr/devices.deny', 'a *:* rwm'], ...DEFAULT_DEVICES]);
  });

  it('updates a live cgroup\'s devices with the fewest writes (never denying everything again)', async () => {
    const s = await setup('v1');
    const deny = { allow: false, access: 'rwm' };
    s.m.apply({ devices: [deny, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] });
    s.writes();
    const again = fromPaths(s.m.paths(), { io: s.fake });
    again.apply({ devices: [deny, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] });
    assert.deepEqual(s.writes(), []);
    again.apply({ devices: [deny, { allow: true, type: 'c', major: 10, minor: 229, access: 'r' }, { allow: true, type: 'b', major: 8, minor: 0, access: 'r' }] });
    assert.deepEqual(s.writes(), [['devices/ctr/devices.deny', 'c 10:229 w'], ['devices/ctr/devices.allow', 'b 8:0 r']]);
    // A deny that only a wildcard rule covers cannot be expressed in cgroup v1: refused before any write.
    assert.throws(() => again.apply({ devices: [{ allow: true, type: 'c', access: 'm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'm' }] }),
      failsWith('EINVALIDRESOURCES', 'linux.resources.devices[1]: "c 1:3 m" cannot take access out of the wider rule "c *:* m" (cgroup v1 would ignore it)'));
    assert.throws(() => again.apply({ devices: [{ allow: true, type: 'c', access: '' }] }), failsWith('EINVALIDRESOURCES', 'linux.resources.devices[0].access: must not be empty'));
    assert.deepEqual(s.writes(), []);
  });

  it('emulates the kernel\'s rule semantics like runc (allow-all start, deny-all target)', () => {
    const from = parseDevicesList('c 1:3 rwm\nc 1:5 rw\n');
    const to = parseDevicesList('c 1:3 rw\nc 1:9 rwm\n');
    assert.deepEqual(transition(from, to).map((r) => [r.allow, r.type, r.major, r.minor]), [[false, 'c', 1, 3], [false, 'c', 1, 5], [true, 'c', 1, 9]]);
    assert.deepEqual(transition(parseDevicesList('a *:* rwm\n'), to).map((r) => r.allow), [false, true, true]);
  });

  it('orders memory and swap so that memsw >= limit holds at every write', async () => {
    const s = await setup('v1');
    s.m.apply({ memory: { limit: 8 << 20, swap: 16 << 20 } });
    assert.deepEqual(s.writes().slice(-2), [['memory/ctr/memory.limit_in_bytes', '8388608'], ['memory/ctr/memory.memsw.limit_in_bytes', '16777216']]);
    s.m.apply({ memory: { limit: 64 << 20, swap: 128 << 20 } });
    assert.deepEqual(s.writes().slice(-2), [['memory/ctr/memory.memsw.limit_in_bytes', '134217728'], ['memory/ctr/memory.limit_in_bytes', '67108864']]);
    s.m.apply({ memory: { limit: 4 << 20, swap: 8 << 20 } });
    assert.deepEqual(s.writes().slice(-2), [['memory/ctr/memory.limit_in_bytes', '4194304'], ['memory/ctr/memory.memsw.limit_in_bytes', '8388608']]);
    // limit -1 without swap lifts the swap limit too, first.
    s.m.apply({ memory: { limit: -1 } });
    assert.deepEqual(s.writes().slice(-2), [['memory/ctr/memory.memsw.limit_in_bytes', '-1'], ['memory/ctr/memory.limit_in_bytes', '-1']]);
    assert.equal(read(path.join(s.dir('memory'), 'memory.limit_in_bytes')), MAX);
  });

  it('writes pids.max as max for -1 and as 0 for 0', async () => {
    const s = await setup('v1');
    s.m.apply({ pids: { limit: -1 } });
    s.m.apply({ pids: { limit: 0 } });
    s.m.apply({ pids: {} });
    assert.deepEqual(s.writes().filter(([f]) => f.startsWith('pids')), [['pids/ctr/pids.max', 'max'], ['pids/ctr/pids.max', '0']]);
  });

  it('retries a period the kernel refuses until the quota is written, and reads cpu.shares back', async () => {
    const s = await setup('v1');
    s.fake.failOn('write', 'cpu.cfs_period_us', 'EINVAL');
    s.m.apply({ cpu: { quota: 20000, period: 50000 } });
    assert.deepEqual(s.writes().filter(([f]) => f.startsWith('cpu/')), [['cpu/ctr/cpu.cfs_period_us', '50000'], ['cpu/ctr/cpu.cfs_quota_us', '20000'], ['cpu/ctr/cpu.cfs_period_us', '50000']]);
    assert.throws(() => s.m.apply({ cpu: { shares: 1 } }),
      failsWith('ENOTAPPLIED', `linux.resources.cpu.shares: the kernel set ${s.dir('cpu')}/cpu.shares to 2, not 1: the minimum allowed cpu-shares is 2`));
  });

  it('names the setting, file and errno when the kernel refuses', async () => {
    const s = await setup('v1');
    const limit = path.join(s.dir('memory'), 'memory.limit_in_bytes');
    s.fake.failOn('write', 'memory.limit_in_bytes', 'EBUSY');
    assert.throws(() => s.m.apply({ memory: { limit: 1 << 20 } }),
      failsWith('EBUSY', `linux.resources.memory.limit: write ${limit}: EBUSY (device or resource busy): the cgroup uses more than 1048576 bytes now (current usage 5000000, peak 6000000)`));
    fs.unlinkSync(path.join(s.dir('memory'), 'memory.memsw.limit_in_bytes'));
    assert.throws(() => s.m.apply({ memory: { limit: 1 << 20, swap: 2 << 20 } }),
      failsWith('ENOENT', `linux.resources.memory.swap: write ${s.dir('memory')}/memory.memsw.limit_in_bytes: ENOENT (no such file or directory): the kernel does not account swap (boot it with swapaccount=1)`));
    s.fake.failOn('write', 'pids.max', 'EINVAL');
    assert.throws(() => s.m.apply({ pids: { limit: 5 } }), failsWith('EINVAL', `linux.resources.pids.limit: write ${s.dir('pids')}/pids.max: EINVAL (invalid argument)`));
  });

  it('fails for a controller the host has not mounted only when a setting asks for it, as runc does', async () => {
    const s = await setup('v1');
    s.m.apply({ hugepageLimits: [], network: { classID: 0 }, rdma: {} });
    assert.throws(() => s.m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }),
      failsWith('ENOCONTROLLER', 'linux.resources.hugepageLimits[0]: the hugetlb cgroup controller is not mounted on this host (no cgroup v1 hierarchy has it)'));
    assert.throws(() => s.m.apply({ network: { classID: 0x100001 } }), failsWith('ENOCONTROLLER', /^linux\.resources\.network\.classID: the net_cls cgroup controller is not mounted/));
    assert.throws(() => s.m.apply({ network: { priorities: [{ name: 'eth0', priority: 5 }] } }), failsWith('ENOCONTROLLER', /^linux\.resources\.network\.priorities\[0\]: the net_prio/));
    assert.throws(() => s.m.apply({ rdma: { mlx5_1: { hcaHandles: 3 } } }), failsWith('ENOCONTROLLER', /^linux\.resources\.rdma\["mlx5_1"\]: the rdma/));
  });

  it('refuses unified on v1 and bad values before writing anything', async () => {
    const s = await setup('v1');
    s.writes();
    assert.throws(() => s.m.apply({ memory: { limit: 1 << 30 }, unified: { 'memory.high': '1G' } }),
      failsWith('EINVALIDRESOURCES', 'linux.resources.unified["memory.high"]: cgroup v2 files cannot be set on a cgroup v1 host'));
    assert.throws(() => s.m.apply({ pids: { limit: 5 }, memory: { swappiness: 101 } }), failsWith('EINVALIDRESOURCES', 'linux.resources.memory.swappiness: 101 is out of range (0-100)'));
    assert.deepEqual(s.writes(), []);
  });
});

describe('apply on cgroup v2', () => {
  it('writes every controller\'s files in runc\'s order with its conversions', async () => {
    const s = await setup('v2');
    const warnings: string[] = [];
    s.m.apply({
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 64 << 20, swap: 96 << 20, reservation: 32 << 20, swappiness: 10 },
      cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, idle: 0, cpus: '0-1', mems: '0' },
      pids: { limit: -1 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 1 << 22 }],
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
      unified: { 'memory.high': '50331648', 'cpu.weight': '77' },
    }, { warn: (w) => warnings.push(w) });
    assert.deepEqual(s.writes(), [
      ['ctr/pids.max', 'max'],
      ['ctr/memory.swap.max', '33554432'], ['ctr/memory.max', '67108864'], ['ctr/memory.low', '33554432'],
      ['ctr/io.weight', '4950'], ['ctr/io.max', '8:0 rbps=600'], ['ctr/io.max', '8:16 wiops=300'],
      ['ctr/cpu.idle', '0'], ['ctr/cpu.weight', '39'], ['ctr/cpu.max.burst', '1000'], ['ctr/cpu.max', '50000 100000'],
      ['ctr/cpuset.cpus', '0-1'], ['ctr/cpuset.mems', '0'],
      ['ctr/hugetlb.2MB.max', '4194304'], ['ctr/hugetlb.2MB.rsvd.max', '4194304'],
      ['ctr/rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
      ['ctr/memory.high', '50331648'], ['ctr/cpu.weight', '77'],
    ]);
    assert.deepEqual(warnings, ['linux.resources.memory.swappiness is ignored: it has no cgroup v2 equivalent']);
    assert.deepEqual(s.fake.calls.filter((c) => c.op === 'bpf').map((c) => path.basename(c.path)), ['ctr']);
  });

  it('converts like runc: shares to weight, blkio weight to io.weight, memory+swap to swap', () => {
    assert.deepEqual([2, 1024, 262144, 1].map(sharesToWeight), [1n, 39n, 10000n, 1n]);
    assert.deepEqual([10, 500, 1000].map(blkioWeightToIoWeight), [1n, 4950n, 10000n]);
    assert.equal(swapV2({ limit: 100, swap: 100 }), 0n);
    assert.equal(swapV2({ limit: 100, swap: -1 }), -1n);
    assert.equal(swapV2({ limit: -1 }), -1n);
    assert.equal(swapV2({ limit: 100 }), 0n);
    assert.throws(() => swapV2({ swap: 100 }), /linux\.resources\.memory\.swap: a swap limit needs a memory limit/);
    assert.throws(() => swapV2({ limit: 200, swap: 100 }), /linux\.resources\.memory\.swap: 100 is below memory\.limit 200/);
  });

  it('writes cpu.max with max and the default period, and swap 0 when swap equals the limit', async () => {
    const s = await setup('v2');
    s.m.apply({ cpu: { period: 50000 } });
    s.m.apply({ cpu: { quota: -1 } });
    s.m.apply({ memory: { limit: 1 << 20, swap: 1 << 20 } });
    assert.deepEqual(s.writes(), [['ctr/cpu.max', 'max 50000'], ['ctr/cpu.max', 'max 100000'], ['ctr/memory.swap.max', '0'], ['ctr/memory.max', '1048576']]);
    fs.unlinkSync(path.join(s.dir(''), 'memory.swap.max'));
    s.m.apply({ memory: { limit: -1 } });
    assert.deepEqual(s.writes(), [['ctr/memory.swap.max', 'max'], ['ctr/memory.max', 'max']]);
  });

  it('uses BFQ weights, per device where the kernel takes them', async () => {
    const s = await setup('v2');
    fs.writeFileSync(path.join(s.dir(''), 'io.bfq.weight'), 'default 100\n');
    s.m.apply({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } });
    assert.deepEqual(s.writes(), [['ctr/io.bfq.weight', '500'], ['ctr/io.bfq.weight', '8:0 300']]);
  });

  it('names a controller the cgroup does not have', async () => {
    const s = await setup('v2', { v2Controllers: ['cpu', 'pids'] });
    const dir = s.dir('');
    assert.throws(() => s.m.apply({ unified: { 'memory.high': '1G' } }), failsWith('ENOCONTROLLER', `linux.resources.unified["memory.high"]: controller "memory" is not available in ${dir}`));
    assert.throws(() => s.m.apply({ memory: { limit: 1 << 20 } }), failsWith('ENOCONTROLLER', `linux.resources.memory.limit: controller "memory" is not available in ${dir}`));
    assert.throws(() => s.m.apply({ unified: { 'pids.nope': '1' } }), failsWith('ENOENT', `linux.resources.unified["pids.nope"]: write ${dir}/pids.nope: ENOENT (no such file or directory)`));
    assert.throws(() => s.m.apply({ unified: { '../x.max': '1' } }), failsWith('EINVALIDRESOURCES', /must be a file name/));
    assert.throws(() => s.m.apply({ pids: { limit: 3 }, memory: { swap: 5 } }), failsWith('EINVALIDRESOURCES', /a swap limit needs a memory limit/));
    // Only the refused attempts, each stopping its apply().
    assert.deepEqual(s.writes(), [['ctr/memory.high', '1G'], ['ctr/memory.max', '1048576'], ['ctr/pids.nope', '1']]);
  });

  it('refuses a limit below the usage with checkBeforeUpdate', async () => {
    const s = await setup('v2');
    fs.writeFileSync(path.join(s.dir(''), 'memory.current'), '9000000\n');
    assert.throws(() => s.m.apply({ memory: { limit: 8 << 20, checkBeforeUpdate: true } }),
      failsWith('EINVALIDRESOURCES', `linux.resources.memory.limit: 8388608 is not above the current usage 9000000 of ${s.dir('')} (checkBeforeUpdate)`));
    s.m.apply({ memory: { limit: 8 << 20 } });
    assert.deepEqual(s.writes(), [['ctr/memory.max', '8388608']]);
  });
});
