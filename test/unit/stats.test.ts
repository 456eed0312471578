// The cgroup statistics readers of `events` on a tmpdir seeded with sample v1 and v2 files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { blkioV1, blkioV2 } from '../../runtime/src/cgroups/stats/blkio.js';
import { cpuset, cpuV1, cpuV2 } from '../../runtime/src/cgroups/stats/cpu.js';
import { hugetlbV1, hugetlbV2 } from '../../runtime/src/cgroups/stats/hugetlb.js';
import { memoryV1, memoryV2, oomKills } from '../../runtime/src/cgroups/stats/memory.js';
import { pidsStats } from '../../runtime/src/cgroups/stats/pids.js';
import { MAX_U64, statsJson } from '../../runtime/src/cgroups/stats/util.js';
import { cgroupVersion, parseDuration, statsFromPaths, statsEvent } from '../../runtime/src/container/stats.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-stats-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function seed(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

const V1_MEMORY = {
  'memory.stat': 'cache 8192\nrss 53248\nhierarchical_memory_limit 67108864\ntotal_cache 8192\n',
  'memory.usage_in_bytes': '401408\n',
  'memory.max_usage_in_bytes': '712704\n',
  'memory.failcnt': '3\n',
  'memory.limit_in_bytes': '67108864\n',
  'memory.memsw.usage_in_bytes': '401408\n',
  'memory.memsw.max_usage_in_bytes': '712704\n',
  'memory.memsw.failcnt': '0\n',
  'memory.memsw.limit_in_bytes': '9223372036854771712\n',
  'memory.kmem.usage_in_bytes': '245760\n',
  'memory.kmem.max_usage_in_bytes': '368640\n',
  'memory.kmem.failcnt': '0\n',
  'memory.kmem.limit_in_bytes': '9223372036854771712\n',
  'memory.kmem.tcp.usage_in_bytes': '0\n',
  'memory.kmem.tcp.max_usage_in_bytes': '0\n',
  'memory.kmem.tcp.failcnt': '0\n',
  'memory.kmem.tcp.limit_in_bytes': '9223372036854771712\n',
  'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
};

describe('cgroup v1 statistics', () => {
  const mem = seed('v1/memory', V1_MEMORY);
  const cpuacct = seed('v1/cpuacct', {
    'cpuacct.usage': '2925180\n',
    'cpuacct.usage_percpu': '756164 2169016 \n',
    'cpuacct.usage_all': 'cpu user system\n0 700000 56164\n1 2000000 169016\n',
    'cpuacct.stat': 'user 3\nsystem 1\n',
  });
  const cpu = seed('v1/cpu', { 'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n' });
  const pids = seed('v1/pids', { 'pids.current': '4\n', 'pids.max': 'max\n' });
  const blkio = seed('v1/blkio', {
    'blkio.io_serviced_recursive': '',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\nTotal 12288\n',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
  });
  const huge = seed('v1/hugetlb', { 'hugetlb.2MB.limit_in_bytes': '0\n', 'hugetlb.2MB.usage_in_bytes': '2097152\n', 'hugetlb.2MB.max_usage_in_bytes': '4194304\n', 'hugetlb.2MB.failcnt': '1\n' });
  const cs = seed('v1/cpuset', { 'cpuset.cpus': '0-1,3\n', 'cpuset.mems': '0\n', 'cpuset.sched_load_balance': '1\n', 'cpuset.sched_relax_domain_level': '-1\n' });

  it('memory: usage, memsw as swap, kmem, raw memory.stat and cache', () => {
    const m = memoryV1(mem);
    assert.deepEqual(m.usage, { limit: 67108864n, usage: 401408n, max: 712704n, failcnt: 3n });
    assert.equal(m.swap.limit, 9223372036854771712n);
    assert.deepEqual(m.kernel, { limit: 9223372036854771712n, usage: 245760n, max: 368640n, failcnt: 0n });
    assert.deepEqual(m.kernelTCP, { limit: 9223372036854771712n, failcnt: 0n });
    assert.equal(m.cache, 8192n);
    assert.equal(m.raw?.rss, 53248n);
    assert.equal(oomKills(mem, 'v1'), 2n);
  });

  it('cpu: cpuacct usage, per-cpu split, USER_HZ ticks as ns, throttling', () => {
    const c = cpuV1(cpuacct, cpu);
    assert.deepEqual(c.usage, { total: 2925180n, percpu: [756164n, 2169016n], percpu_kernel: [56164n, 169016n], percpu_user: [700000n, 2000000n], kernel: 10_000_000n, user: 30_000_000n });
    assert.deepEqual(c.throttling, { periods: 10n, throttledPeriods: 2n, throttledTime: 5000n });
  });

  it('pids: "max" is reported as no limit (0, left out)', () => {
    assert.deepEqual(pidsStats(pids), { current: 4n });
  });

  it('blkio: throttle files when CFQ has nothing; Total lines skipped', () => {
    const b = blkioV1(blkio);
    assert.deepEqual(b.ioServiceBytesRecursive, [
      { major: 8n, op: 'Read', value: 4096n },
      { major: 8n, op: 'Write', value: 8192n },
      { major: 8n, op: 'Sync' },
    ]);
    assert.equal(b.ioServicedRecursive?.length, 2);
  });

  it('hugetlb and cpuset', () => {
    assert.deepEqual(hugetlbV1(huge), { '2MB': { usage: 2097152n, max: 4194304n, failcnt: 1n } });
    const c = cpuset(cs, 'v1');
    assert.deepEqual(c.cpus, [0, 1, 3]);
    assert.equal(c.sched_relax_domain_level, -1n);
  });

  it('a record with v1 paths gives runc\'s event shape; missing controllers read as empty', () => {
    const paths = { memory: mem, cpuacct, cpu, pids, blkio, unified: '/nonexistent' };
    assert.equal(cgroupVersion(paths), 'v1');
    const line = statsEvent('c1', statsFromPaths(paths));
    const doc = JSON.parse(line);
    assert.equal(doc.type, 'stats');
    assert.equal(doc.id, 'c1');
    assert.deepEqual(Object.keys(doc.data), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
    assert.deepEqual(doc.data.hugetlb, {});
    assert.equal(doc.data.memory.usage.usage, 401408);
    assert.match(line, /"hierarchical_memory_limit":67108864/);
  });
});

describe('cgroup v2 statistics', () => {
  const dir = seed('v2/c', {
    'cgroup.controllers': 'cpu memory pids io hugetlb\n',
    'memory.stat': 'anon 4096\nfile 12288\n',
    'memory.current': '500000\n',
    'memory.max': '67108864\n',
    'memory.events': 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n',
    'memory.swap.current': '1000\n',
    'memory.swap.max': 'max\n',
    'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n',
    'pids.current': '3\n',
    'pids.max': '20\n',
    'io.stat': '8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
    'hugetlb.2MB.max': 'max\n',
    'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.events': 'max 2\n',
    'cpuset.cpus.effective': '0-1\n',
    'cpuset.mems.effective': '0\n',
  });

  it('memory: memory.current/max, failcnt from memory.events, swap as memory + swap, file as cache', () => {
    const m = memoryV2(dir);
    assert.deepEqual(m.usage, { limit: 67108864n, usage: 500000n, failcnt: 7n });
    assert.deepEqual(m.swap, { limit: MAX_U64, usage: 501000n, failcnt: 0n });
    assert.equal(m.cache, 12288n);
    assert.deepEqual(m.raw, { anon: 4096n, file: 12288n });
    assert.equal(oomKills(dir, 'v2'), 1n);
  });

  it('cpu: cpu.stat microseconds as ns', () => {
    assert.deepEqual(cpuV2(dir), { usage: { total: 1_500_000n, kernel: 500_000n, user: 1_000_000n }, throttling: { periods: 4n, throttledPeriods: 1n, throttledTime: 20_000n } });
  });

  it('pids, io.stat, hugetlb', () => {
    assert.deepEqual(pidsStats(dir), { current: 3n, limit: 20n });
    assert.deepEqual(blkioV2(dir), {
      ioServiceBytesRecursive: [
        { major: 8n, minor: 16n, op: 'Read', value: 4096n },
        { major: 8n, minor: 16n, op: 'Write' },
      ],
      ioServicedRecursive: [
        { major: 8n, minor: 16n, op: 'Read', value: 1n },
        { major: 8n, minor: 16n, op: 'Write' },
      ],
    });
    assert.deepEqual(hugetlbV2(dir), { '2MB': { failcnt: 2n } });
  });

  it('a record with only the unified path is v2', () => {
    assert.equal(cgroupVersion({ unified: dir }), 'v2');
    const doc = JSON.parse(statsEvent('c2', statsFromPaths({ unified: dir })));
    assert.equal(doc.data.pids.current, 3);
    assert.deepEqual(doc.data.cpuset.cpus, [0, 1]);
  });

  it('a missing cgroup reads as zeros and oomKills as undefined', () => {
    assert.equal(oomKills(path.join(tmp, 'gone'), 'v2'), undefined);
    assert.deepEqual(pidsStats(path.join(tmp, 'gone')), {});
  });
});

describe('stats helpers', () => {
  it('statsJson writes uint64 values exactly', () => {
    assert.equal(statsJson({ a: MAX_U64, b: [1n, -1n], c: 'x' }), '{"a":18446744073709551615,"b":[1,-1],"c":"x"}');
  });

  it('parseDuration takes Go durations', () => {
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    for (const bad of ['', '5', 'abc', '0s', '5x', '-1s']) assert.throws(() => parseDuration(bad), /--interval/, bad);
  });
});
