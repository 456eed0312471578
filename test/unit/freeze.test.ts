// cgroups/freezer.ts on a tmpdir that behaves like cgroupfs (FakeCgroupFs), with the kernel's freezer simulated:
// v1 freezer.state passes through FREEZING before FROZEN, v2 cgroup.events reports `frozen 1` a few polls after the
// write to cgroup.freeze.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeCgroupFs } from '../../runtime/src/cgroups/fake-fs.js';
import { freezerOf, hasCgroupKill, isFrozen, killCgroup, setFrozen, type Freezer } from '../../runtime/src/cgroups/freezer.js';
import { CgroupError } from '../../runtime/src/cgroups/errors.js';
import type { CgroupIo } from '../../runtime/src/cgroups/io.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-freeze-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const noSleep = (): void => {};

/** A fake cgroupfs whose freezer takes `lag` reads to settle (or never, with lag = Infinity). */
function kernelIo(fake: FakeCgroupFs, lag: number): CgroupIo & { writes: string[] } {
  const pending = new Map<string, { target: string; left: number }>();
  const writes: string[] = [];
  return {
    ...fake,
    mkdir: (p) => fake.mkdir(p),
    rmdir: (p) => fake.rmdir(p),
    subdirs: (p) => fake.subdirs(p),
    exists: (p) => fake.exists(p),
    setDeviceFilter: (d, prog) => fake.setDeviceFilter(d, prog),
    writes,
    write(p, data) {
      writes.push(`${path.basename(p)}=${data}`);
      fake.write(p, data);
      const dir = path.dirname(p);
      if (path.basename(p) === 'freezer.state') {
        if (data === 'FROZEN') {
          fs.writeFileSync(p, 'FREEZING\n');
          pending.set(p, { target: 'FROZEN\n', left: lag });
        } else {
          fs.writeFileSync(p, 'THAWED\n');
          pending.delete(p);
        }
      } else if (path.basename(p) === 'cgroup.freeze') {
        pending.set(path.join(dir, 'cgroup.events'), { target: `populated 1\nfrozen ${data.trim()}\n`, left: lag });
      }
    },
    read(p) {
      const w = pending.get(p);
      if (w && --w.left <= 0) {
        fs.writeFileSync(p, w.target);
        pending.delete(p);
      }
      return fake.read(p);
    },
  };
}

function v1Dir(): string {
  const root = path.join(tmp, `v1-${++n}`, 'freezer');
  FakeCgroupFs.seedV1(root, { files: { 'freezer.state': 'THAWED\n' } });
  const fake = new FakeCgroupFs();
  fake.mkdir(path.join(root, 'c'));
  return path.join(root, 'c');
}

function v2Dir(): string {
  const root = path.join(tmp, `v2-${++n}`);
  FakeCgroupFs.seedV2(root, ['pids', 'memory'], ['pids']);
  new FakeCgroupFs().mkdir(path.join(root, 'c'));
  return path.join(root, 'c');
}

describe('freezer: which one a container uses', () => {
  it('the v1 freezer when the container has one (hybrid: not the unified dir)', () => {
    assert.deepEqual(freezerOf({ freezer: '/sys/fs/cgroup/freezer/x', unified: '/sys/fs/cgroup/unified/x', memory: '/m/x' }), { kind: 'v1', dir: '/sys/fs/cgroup/freezer/x' });
  });
  it('cgroup.freeze on a v2 host', () => {
    const dir = v2Dir();
    assert.deepEqual(freezerOf({ unified: dir }), { kind: 'v2', dir });
  });
  it('none on hybrid without a freezer hierarchy, or a v2 dir without cgroup.freeze', () => {
    assert.equal(freezerOf({ unified: '/sys/fs/cgroup/unified/x', memory: '/m/x' }), undefined);
    assert.equal(freezerOf({ unified: path.join(tmp, 'missing') }), undefined);
  });
});

describe('freezer: v1 freezer.state', () => {
  it('freeze waits through FREEZING until FROZEN; thaw until THAWED', () => {
    const dir = v1Dir();
    const io = kernelIo(new FakeCgroupFs(), 3);
    const f: Freezer = { kind: 'v1', dir };
    setFrozen(f, true, { io, sleep: noSleep });
    assert.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    assert.equal(isFrozen(f, io), true);
    setFrozen(f, false, { io, sleep: noSleep });
    assert.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim(), 'THAWED');
    assert.equal(isFrozen(f, io), false);
    assert.deepEqual(io.writes, ['freezer.state=FROZEN', 'freezer.state=THAWED']);
  });
  it('a freeze stuck in FREEZING is asked again, then undone and reported', () => {
    const dir = v1Dir();
    const io = kernelIo(new FakeCgroupFs(), Infinity);
    let clock = 0;
    assert.throws(
      () => setFrozen({ kind: 'v1', dir }, true, { io, timeoutMs: 500, sleep: (ms) => (clock += ms) }),
      (e: unknown) => e instanceof CgroupError && /freezing .* did not complete within 500 ms/.test(e.message) && !e.message.includes('\n'),
    );
    assert.ok(io.writes.filter((w) => w === 'freezer.state=FROZEN').length > 1, `re-asked: ${io.writes.join(' ')}`);
    assert.equal(io.writes.at(-1), 'freezer.state=THAWED');
    assert.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim(), 'THAWED', 'a failed pause leaves it running');
  });
  it('a failed write is a one-line CgroupError naming the file', () => {
    const dir = v1Dir();
    const fake = new FakeCgroupFs().failOn('write', 'freezer.state', 'EBUSY');
    assert.throws(() => setFrozen({ kind: 'v1', dir }, true, { io: fake, sleep: noSleep }), (e: unknown) => e instanceof CgroupError && e.message.includes('freezer.state') && e.code === 'EBUSY');
  });
});

describe('freezer: v2 cgroup.freeze', () => {
  it('freeze writes 1 and waits for frozen 1 in cgroup.events; thaw writes 0 and waits for frozen 0', () => {
    const dir = v2Dir();
    const io = kernelIo(new FakeCgroupFs(), 4);
    const f: Freezer = { kind: 'v2', dir };
    setFrozen(f, true, { io, sleep: noSleep });
    assert.match(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
    assert.equal(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim(), '1');
    assert.equal(isFrozen(f, io), true);
    setFrozen(f, false, { io, sleep: noSleep });
    assert.match(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
    assert.equal(isFrozen(f, io), false);
    assert.deepEqual(io.writes, ['cgroup.freeze=1', 'cgroup.freeze=0']);
  });
  it('a freeze that never completes is undone (cgroup.freeze back to 0) and reported', () => {
    const dir = v2Dir();
    const io = kernelIo(new FakeCgroupFs(), Infinity);
    let clock = 0;
    assert.throws(() => setFrozen({ kind: 'v2', dir }, true, { io, timeoutMs: 200, sleep: (ms) => (clock += ms) }), /freezing .* did not complete/);
    assert.equal(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim(), '0');
  });
  it('cgroup.kill: present in a v2 dir, written with 1', () => {
    const dir = v2Dir();
    const fake = new FakeCgroupFs();
    assert.equal(hasCgroupKill(dir, fake), true);
    assert.equal(hasCgroupKill(path.join(tmp, 'nope'), fake), false);
    killCgroup(dir, fake);
    assert.deepEqual(fake.calls.at(-1), { op: 'write', path: path.join(dir, 'cgroup.kill'), data: '1' });
  });
});
