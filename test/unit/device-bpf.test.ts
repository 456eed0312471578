// The cgroup v2 device filter without root: generated programs run in the tests' eBPF interpreter (helpers/ebpf.ts)
// against synthetic struct bpf_cgroup_dev_ctx inputs, and every decision is compared with a reference written here
// from the kernel's cgroup v1 devices code (security/device_cgroup.c): the rules written in order to devices.allow and
// devices.deny of a new cgroup, then its permission check. Also: a golden disassembly, the default rules, the v2
// manager's apply on the fake cgroupfs, and the error line of a refused program.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { targetState } from '../../runtime/src/cgroups/devices.js';
import type { CgroupHost } from '../../runtime/src/cgroups/detect.js';
import { CgroupError } from '../../runtime/src/cgroups/errors.js';
import { FakeCgroupFs } from '../../runtime/src/cgroups/fake-fs.js';
import { cgroupManager } from '../../runtime/src/cgroups/manager.js';
import type { LinuxDeviceCgroup, LinuxResources } from '../../runtime/src/cgroups/resources.js';
import { deviceProgram, encodeProgram } from '../../runtime/src/cgroups/v2/device-bpf.js';
import { verifierReason } from '../../runtime/src/linux/bpf.js';
import { disassemble, run, type DevCtx } from '../helpers/ebpf.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-devbpf-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const program = (r: LinuxResources): Uint8Array => encodeProgram(deviceProgram(targetState(r)));
const BLOCK = 1;
const CHAR = 2;
const ACC = { m: 1, r: 2, w: 4 } as const;
const acc = (s: string): number => [...s].reduce((n, c) => n | ACC[c as keyof typeof ACC], 0);
const dev = (type: 'b' | 'c', major: number, minor: number, access: string): DevCtx => ({ type: type === 'b' ? BLOCK : CHAR, major, minor, access: acc(access) });

// ---- the reference: the kernel's cgroup v1 devices controller ----

interface Exception { type: 'b' | 'c'; major: number; minor: number; access: number }
interface V1 { allowAll: boolean; ex: Exception[]; ignored: boolean }

/** What runc (and the runtime) adds after the spec's rules, as devices.allow lines; the same on v1 and v2. */
const DEFAULT_LINES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];

/** One write of `type major:minor access` to devices.allow (allow) or devices.deny, as devcgroup_update_access. */
function write(k: V1, allow: boolean, type: string, major: number, minor: number, access: number): void {
  if (type === 'a') {
    k.allowAll = allow;
    k.ex = [];
    return;
  }
  const t = type as 'b' | 'c';
  const same = (e: Exception): boolean => e.type === t && e.major === major && e.minor === minor;
  if (allow !== k.allowAll) {
    const e = k.ex.find(same);
    if (e) e.access |= access;
    else k.ex.push({ type: t, major, minor, access });
    return;
  }
  // dev_exception_rm touches only the exact exception; a wider one that still covers the device stays (the kernel
  // ignores that part of the write, which the runtime refuses instead).
  if (k.ex.some((e) => !same(e) && e.type === t && (e.major === -1 || e.major === major) && (e.minor === -1 || e.minor === minor) && e.access & access)) k.ignored = true;
  for (const e of k.ex.filter(same)) e.access &= ~access;
  k.ex = k.ex.filter((e) => e.access !== 0);
}

function v1Kernel(devices: LinuxDeviceCgroup[]): V1 {
  const k: V1 = { allowAll: true, ex: [], ignored: false };
  write(k, false, 'a', -1, -1, 7);
  for (const d of devices) write(k, d.allow, d.type ?? 'a', d.major ?? -1, d.minor ?? -1, acc(d.access ?? ''));
  for (const line of DEFAULT_LINES) {
    const [type = '', nums = '', access = ''] = line.split(' ');
    const [ma, mi] = nums.split(':').map((x) => (x === '*' ? -1 : Number(x)));
    write(k, true, type, ma ?? -1, mi ?? -1, acc(access));
  }
  return k;
}

/** __devcgroup_check_permission: deny-all needs one exception covering every bit; allow-all denies any overlap. */
function v1Allows(k: V1, d: DevCtx): boolean {
  const hits = (e: Exception): boolean => (e.type === 'b' ? BLOCK : CHAR) === d.type && (e.major === -1 || e.major === d.major) && (e.minor === -1 || e.minor === d.minor);
  if (k.allowAll) return !k.ex.some((e) => hits(e) && (e.access & d.access) !== 0);
  return k.ex.some((e) => hits(e) && (d.access & ~e.access) === 0);
}

// ---- random rule lists over a small domain, so that rules collide often ----

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const MAJORS = [-1, 1, 5, 10, 136];
const MINORS = [-1, 0, 3, 5, 229];
const ACCESSES = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

function randomRules(rnd: () => number): LinuxDeviceCgroup[] {
  const out: LinuxDeviceCgroup[] = [];
  const n = Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) {
    const type = rnd() < 0.15 ? 'a' : pick(rnd, ['b', 'c'] as const);
    const d: LinuxDeviceCgroup = { allow: rnd() < 0.5, type, access: pick(rnd, ACCESSES) };
    const major = pick(rnd, MAJORS);
    const minor = pick(rnd, MINORS);
    if (major !== -1 || rnd() < 0.5) d.major = major;
    if (minor !== -1 || rnd() < 0.5) d.minor = minor;
    out.push(d);
  }
  return out;
}

/** Every probe: both types, the numbers above and some others, every non-empty access set. */
const PROBES: DevCtx[] = (['b', 'c'] as const).flatMap((t) =>
  [0, 1, 5, 7, 10, 136, 4095].flatMap((ma) => [0, 1, 3, 5, 8, 200, 229].flatMap((mi) => ACCESSES.map((a) => dev(t, ma, mi, a)))));

describe('cgroup v2 device filter', () => {
  it('decides like the kernel\'s cgroup v1 controller for random rule lists', () => {
    const rnd = prng(20240601);
    let compared = 0;
    let refused = 0;
    for (let i = 0; i < 600; i++) {
      const devices = randomRules(rnd);
      const k = v1Kernel(devices);
      let prog: Uint8Array;
      try {
        prog = program({ devices });
      } catch (err) {
        // Refused exactly when v1 would have ignored part of a write.
        assert.ok(err instanceof CgroupError && err.code === 'EINVALIDRESOURCES', String(err));
        assert.ok(k.ignored, `refused, but the kernel would take ${JSON.stringify(devices)}: ${String(err)}`);
        refused++;
        continue;
      }
      assert.ok(!k.ignored, `the kernel would ignore part of ${JSON.stringify(devices)}`);
      for (const p of PROBES) {
        assert.equal(run(prog, p) === 1, v1Allows(k, p), `${JSON.stringify(devices)} on ${JSON.stringify(p)}`);
        compared++;
      }
    }
    // The generator must have met both kinds of lists, and allow-all ones (an "a" allow last).
    assert.ok(refused > 20 && compared > 400 * PROBES.length, `refused ${refused}, compared ${compared}`);
  });

  it('without rules allows exactly runc\'s default devices (as v1)', () => {
    const prog = program({});
    const allows = (t: 'b' | 'c', ma: number, mi: number, a: string): boolean => run(prog, dev(t, ma, mi, a)) === 1;
    for (const [ma, mi] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [10, 200], [136, 0], [136, 77]] as const) assert.ok(allows('c', ma, mi, 'rwm'), `c ${ma}:${mi}`);
    assert.ok(allows('c', 1, 11, 'm') && allows('b', 8, 0, 'm'), 'mknod of any device');
    assert.ok(!allows('c', 1, 11, 'r') && !allows('c', 10, 229, 'rw') && !allows('b', 8, 0, 'r') && !allows('b', 1, 3, 'rw'));
  });

  it('grants everything after an "a" allow, since the default rules then add nothing', () => {
    const prog = program({ devices: [{ allow: true, access: 'rwm' }] });
    assert.equal(deviceProgram(targetState({ devices: [{ allow: true, access: 'rwm' }] })).length, 8);
    assert.ok(PROBES.every((p) => run(prog, p) === 1));
  });

  it('denies an access that shares any bit with a deny rule, as v1 (runc 1.1\'s eBPF lets O_RDWR through a "w" deny)', () => {
    // (A deny of /dev/null would be undone by the default rules that follow: they allow it again.)
    const prog = program({ devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 11, access: 'w' }] });
    assert.equal(run(prog, dev('c', 1, 11, 'r')), 1);
    assert.equal(run(prog, dev('c', 1, 11, 'rw')), 0);
    assert.equal(run(prog, dev('c', 1, 11, 'w')), 0);
    assert.equal(run(prog, dev('c', 1, 12, 'rw')), 1);
  });

  it('compares device numbers beyond 2^31 exactly (32-bit jumps)', () => {
    const prog = program({ devices: [{ allow: true, type: 'c', major: 0xfffffffe, minor: 0x80000001, access: 'r' }] });
    assert.equal(run(prog, dev('c', 0xfffffffe, 0x80000001, 'r')), 1);
    assert.equal(run(prog, dev('c', 0xfffffffe, 1, 'r')), 0);
    assert.equal(run(prog, dev('c', 0x7ffffffe, 0x80000001, 'r')), 0);
    assert.throws(() => program({ devices: [{ allow: true, type: 'c', major: 2 ** 32, access: 'r' }] }),
      /^CgroupError: linux\.resources\.devices\[0\]\.major: 4294967296 is not a device number \(0-4294967295, or -1 for any\)$/);
  });

  it('generates the program of the golden disassembly', () => {
    const r = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }, { allow: true, type: 'b', major: 8, access: 'r' }] };
    const golden = fs.readFileSync(new URL('../../../test/unit/golden/device-filter.txt', import.meta.url), 'utf8').trimEnd().split('\n');
    assert.deepEqual(disassemble(program(r)), golden);
    // And the same for a deny list, whose exceptions match on any shared access bit.
    assert.deepEqual(disassemble(encodeProgram(deviceProgram({ defaultAllow: true, rules: new Map([['c 1:3', { type: 'c', major: 1, minor: 3, access: 2, allow: false }]]) }))).slice(6), [
      '  6: if w2 != 0x2 goto pc+7', '  7: w1 = w3', '  8: w1 &= 0x4', '  9: if w1 == 0x0 goto pc+4',
      ' 10: if w4 != 0x1 goto pc+3', ' 11: if w5 != 0x3 goto pc+2', ' 12: w0 = 0x0', ' 13: exit', ' 14: w0 = 0x1', ' 15: exit',
    ]);
  });
});

describe('cgroup v2 manager: devices', () => {
  async function v2(): Promise<{ fake: FakeCgroupFs; m: ReturnType<typeof cgroupManager>; dir: string }> {
    const root = fs.mkdtempSync(path.join(tmp, 'v2-'));
    FakeCgroupFs.seedV2(root, ['cpu', 'memory', 'pids']);
    const host: CgroupHost = { mode: 'v2', unified: { mountPoint: root, root: '/', controllers: [] }, own: { '': '/' }, systemd: false };
    const fake = new FakeCgroupFs();
    const m = cgroupManager('/ctr', 'ctr', host, { io: fake });
    await m.create();
    return { fake, m, dir: path.join(root, 'ctr') };
  }

  it('attaches the program on every apply, with the default rules when there are none, and replaces it', async () => {
    const { fake, m, dir } = await v2();
    const seen = fake.calls.length;
    m.apply({});
    const first = fake.deviceFilters.get(dir);
    assert.ok(first);
    assert.equal(run(first, dev('c', 1, 3, 'rw')), 1);
    assert.equal(run(first, dev('c', 10, 229, 'rw')), 0);
    m.apply({ pids: { limit: 10 }, devices: [{ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] });
    const second = fake.deviceFilters.get(dir);
    assert.ok(second);
    assert.equal(run(second, dev('c', 10, 229, 'rw')), 1);
    assert.deepEqual(fake.calls.slice(seen).map((c) => [c.op, path.basename(c.path)]), [['bpf', 'ctr'], ['write', 'pids.max'], ['bpf', 'ctr']]);
  });

  it('refuses bad rules before anything is written, and names the field and the bpf call on failure', async () => {
    const { fake, m, dir } = await v2();
    const before = fake.calls.length;
    assert.throws(() => m.apply({ pids: { limit: 10 }, devices: [{ allow: true, type: 'x', access: 'r' }] }), /^CgroupError: linux\.resources\.devices\[0\]\.type: "x" is not a, b or c$/);
    assert.throws(() => m.apply({ devices: [{ allow: true, type: 'c', access: 'm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'm' }] }),
      /^CgroupError: linux\.resources\.devices\[1\]: "c 1:3 m" cannot take access out of the wider rule "c \*:\* m"/);
    assert.equal(fake.calls.length, before);
    fake.failOn('bpf', 'ctr', 'EPERM');
    assert.throws(() => m.apply({}), (err: unknown) => err instanceof CgroupError && err.code === 'EPERM' &&
      err.message === `linux.resources.devices: device filter of ${dir}: cgroup: bpf ${dir}: EPERM (operation not permitted)`);
  });

  it('reports the verifier\'s reason, not its statistics', () => {
    const log = 'func#0 @0\n0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';
    assert.equal(verifierReason(log), 'R0 !read_ok');
  });
});
