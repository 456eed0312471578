// linux.resources on the real host (root): cgroups made by the manager under the real hierarchies (unique paths),
// resources applied and read back from the kernel's files, an update of the live cgroup, and the effects: a pids
// limit stops a fork, a memory limit OOM-kills a process, device rules stop an open. Touches only the cgroups and
// processes it creates, and removes them in after().
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { detect } from '../../runtime/src/cgroups/detect.js';
import { CgroupError } from '../../runtime/src/cgroups/errors.js';
import { nodeIo, type CgroupIo } from '../../runtime/src/cgroups/io.js';
import { cgroupManager, fromPaths, UNIFIED, type CgroupManager } from '../../runtime/src/cgroups/manager.js';
import type { LinuxResources } from '../../runtime/src/cgroups/resources.js';

const notRoot = process.getuid?.() !== 0 ? 'not root' : false;
const host = notRoot ? undefined : detect();
const NEEDED = ['cpu', 'cpuset', 'memory', 'pids'];

/** Why this host cannot run the tests: a controller they use is missing (e.g. not delegated to a nested v2 cgroup). */
function unusable(): string | false {
  if (notRoot || !host) return notRoot;
  const have = host.mode === 'v1'
    ? Object.keys(host.hierarchies)
    : fs.readFileSync(path.join(host.unified.mountPoint, 'cgroup.controllers'), 'utf8').split(/\s+/);
  const missing = [...NEEDED, ...(host.mode === 'v1' ? ['devices'] : [])].filter((c) => !have.includes(c));
  return missing.length > 0 ? `no cgroup ${host.mode} ${missing.join(', ')} controller` : false;
}
const id = `tsrun-res-${randomBytes(4).toString('hex')}`;
const managers: CgroupManager[] = [];
const children: ChildProcess[] = [];
let n = 0;

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
  for (const m of managers) await m.destroy().catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
});

async function fresh(): Promise<CgroupManager> {
  assert.ok(host);
  const m = cgroupManager(`/${id}-${n++}`, id, host);
  managers.push(m);
  await m.create();
  return m;
}

/** The container's directory for a v1 controller, or the v2 directory. */
function dirOf(m: CgroupManager, controller: string): string {
  const dir = m.version === 'v2' ? m.paths()[UNIFIED] : m.paths()[controller];
  assert.ok(dir, `no directory for ${controller}`);
  return dir;
}
const read = (m: CgroupManager, controller: string, file: string): string => fs.readFileSync(path.join(dirOf(m, controller), file), 'utf8').trim();
/** A `key value` line of a flat keyed file such as memory.oom_control or memory.events. */
const keyed = (text: string, key: string): number => Number(/^(\S+) (\d+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${key} `)) ?? '')?.[2] ?? NaN);

/**
 * A shell that runs each line it reads, so the test decides when it acts (after it joined the cgroup). A failed fork
 * or redirection ends a non-interactive sh, so run() also returns when the shell exits.
 */
async function shell(): Promise<{ child: ChildProcess & { pid: number }; run: (line: string) => Promise<string> }> {
  const child = spawn('sh', ['-c', 'while read -r line; do eval "$line" 2>&1; echo "__done $?"; done'], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  await once(child, 'spawn');
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const run = async (line: string): Promise<string> => {
    out = '';
    child.stdin?.write(`${line}\n`);
    for (const end = Date.now() + 5000; !/__done \d+\n/.test(out) && !gone(); await sleep(10)) if (Date.now() > end) assert.fail(`shell timed out on ${line}: ${out}`);
    return gone() ? `${out}__exited ${child.exitCode}` : out;
  };
  return { child: child as ChildProcess & { pid: number }, run };
}

const BASE: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
  memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 },
  pids: { limit: 50 },
};

describe('linux.resources on this host', { skip: unusable() }, () => {
  it('writes what the kernel then reports', async () => {
    const m = await fresh();
    m.apply(BASE);
    assert.equal(read(m, 'cpuset', 'cpuset.cpus'), '0');
    assert.equal(read(m, 'cpuset', 'cpuset.mems'), '0');
    assert.equal(read(m, 'pids', 'pids.max'), '50');
    if (m.version === 'v1') {
      assert.equal(read(m, 'cpu', 'cpu.shares'), '512');
      assert.equal(read(m, 'cpu', 'cpu.cfs_quota_us'), '50000');
      assert.equal(read(m, 'cpu', 'cpu.cfs_period_us'), '100000');
      assert.equal(read(m, 'memory', 'memory.limit_in_bytes'), String(64 << 20));
      if (fs.existsSync(path.join(dirOf(m, 'memory'), 'memory.memsw.limit_in_bytes'))) assert.equal(read(m, 'memory', 'memory.memsw.limit_in_bytes'), String(128 << 20));
      assert.equal(read(m, 'memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
      assert.deepEqual(read(m, 'devices', 'devices.list').split('\n').sort(), [
        'b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 10:200 rwm', 'c 10:229 rw', 'c 136:* rwm', 'c 5:0 rwm', 'c 5:2 rwm',
      ].sort());
    } else {
      assert.equal(read(m, '', 'cpu.weight'), '20');
      assert.equal(read(m, '', 'cpu.max'), '50000 100000');
      assert.equal(read(m, '', 'memory.max'), String(64 << 20));
      assert.equal(read(m, '', 'memory.low'), String(32 << 20));
    }
  });

  it('updates a live cgroup: memory both ways in the kernel\'s order, devices without a single write', async () => {
    const m = await fresh();
    m.apply(BASE);
    const writes: string[] = [];
    const recording: CgroupIo = { ...nodeIo, write: (p, d) => (writes.push(`${path.basename(p)} ${d}`), nodeIo.write(p, d)) };
    const live = fromPaths(m.paths(), { io: recording });
    live.apply({ ...BASE, memory: { limit: 256 << 20, swap: 512 << 20 } });
    live.apply({ ...BASE, memory: { limit: 16 << 20, swap: 32 << 20 } });
    assert.deepEqual(writes.filter((w) => w.startsWith('devices.')), []);
    if (m.version === 'v1') {
      assert.equal(read(m, 'memory', 'memory.limit_in_bytes'), String(16 << 20));
      const memsw = writes.some((w) => w.startsWith('memory.memsw'));
      if (memsw) assert.equal(read(m, 'memory', 'memory.memsw.limit_in_bytes'), String(32 << 20));
    } else {
      assert.equal(read(m, '', 'memory.max'), String(16 << 20));
    }
  });

  it('stops the third process of a cgroup with pids.max=2', async () => {
    const m = await fresh();
    m.apply({ pids: { limit: 2 } });
    const sh = await shell();
    m.join(sh.child.pid);
    assert.match(await sh.run('/bin/true && echo forked'), /forked\n__done 0/, 'the shell and one child fit');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(sleeper);
    await once(sleeper, 'spawn');
    assert.ok(sleeper.pid);
    m.join(sleeper.pid);
    const out = await sh.run('/bin/true && echo forked');
    assert.doesNotMatch(out, /forked/);
    assert.match(out, /Cannot fork/, 'the shell reports the failed fork');
    if (m.version === 'v1') assert.ok(keyed(read(m, 'pids', 'pids.events'), 'max') >= 1, 'pids.events counts the refusal');
  });

  it('OOM-kills a process that allocates past an 8MB limit', async () => {
    const m = await fresh();
    // On a host with swap, swap == limit leaves none to escape to (then v1 counts the failures in memsw, not in failcnt).
    const swapOn = fs.readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
    m.apply({ memory: swapOn ? { limit: 8 << 20, swap: 8 << 20 } : { limit: 8 << 20 } });
    const hog = spawn(process.execPath, ['-e', 'process.stdin.once("data", () => { const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1)); }); console.log("ready")'], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.push(hog);
    await once(hog.stdout!, 'data');
    assert.ok(hog.pid);
    m.join(hog.pid);
    const exited = once(hog, 'exit');
    hog.stdin?.write('go\n');
    const [code, signal] = (await Promise.race([exited, sleep(20000, undefined, { ref: false }).then(() => assert.fail('the allocation was not killed'))])) as [number | null, string | null];
    assert.deepEqual([code, signal], [null, 'SIGKILL']);
    if (m.version === 'v1') {
      if (!swapOn) assert.ok(Number(read(m, 'memory', 'memory.failcnt')) > 0, 'memory.failcnt');
      assert.ok(keyed(read(m, 'memory', 'memory.oom_control'), 'oom_kill') >= 1, read(m, 'memory', 'memory.oom_control'));
    } else {
      assert.ok(keyed(read(m, '', 'memory.events'), 'oom_kill') >= 1, read(m, '', 'memory.events'));
    }
  });

  it('denies devices outside the rules (v1 devices.deny, v2 eBPF)', async () => {
    const m = await fresh();
    m.apply({ devices: [{ allow: false, access: 'rwm' }] });
    const sh = await shell();
    m.join(sh.child.pid);
    assert.match(await sh.run(': < /dev/null'), /__done 0/);
    assert.match(await sh.run(': < /dev/kmsg'), /cannot open \/dev\/kmsg: Operation not permitted/);
  });

  it('reports what the kernel clamps or the host lacks, naming the setting (v1)', { skip: host?.mode === 'v2' ? 'v1 files' : false }, async () => {
    const m = await fresh();
    assert.throws(() => m.apply({ cpu: { shares: 1 } }), (err: unknown) => err instanceof CgroupError && err.code === 'ENOTAPPLIED' && /^linux\.resources\.cpu\.shares: .*minimum allowed cpu-shares is 2$/.test(err.message));
    if (host?.mode === 'v1' && !host.hierarchies.hugetlb) {
      assert.throws(() => m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }), /^CgroupError: linux\.resources\.hugepageLimits\[0\]: the hugetlb cgroup controller is not mounted/);
    }
    // The kernel refuses a CFS quota below 1 ms.
    const quota = path.join(dirOf(m, 'cpu'), 'cpu.cfs_quota_us');
    assert.throws(() => m.apply({ cpu: { quota: 500, period: 100000 } }), (err: unknown) => err instanceof CgroupError && err.message === `linux.resources.cpu.quota: write ${quota}: EINVAL (invalid argument)`);
  });
});
