// Spec 1.3's process and linux fields in real containers (root): personality, scheduler, ioPriority, memoryPolicy,
// execCPUAffinity and netDevices, each checked from inside the container and from the host; and the fields this
// host cannot honour (no AppArmor, SELinux or resctrl here) refused with one line naming the field, nothing left.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import type { Op } from '../../runtime/src/plan/ops.js';
import { spawnInit } from '../../runtime/src/process/init.js';
import { type Bundle, forceDelete, makeBundle, needRoot, rt, stateOf, tsrunRuntime, which } from '../helpers/bundle.js';
import { bundle, createFails, uniq } from '../helpers/errors.js';

const r = tsrunRuntime();
const made: Bundle[] = [];
const ids: string[] = [];
const links: string[] = [];

after(() => {
  for (const id of ids) forceDelete(r, id);
  for (const b of made) b.remove();
  // A virtual device dies with the container's network namespace (a veth with its peer); one never moved is still
  // on the host.
  for (const l of links) spawnSync('ip', ['link', 'del', l], { stdio: 'ignore' });
  fs.rmSync(r.root, { recursive: true, force: true });
});

function box(script: string, edit: (s: Spec & { process: NonNullable<Spec['process']>; linux: NonNullable<Spec['linux']> }) => void): Bundle {
  const b = makeBundle(script, (s) => {
    if (s.process) s.process.terminal = false;
    edit(s as Parameters<typeof edit>[0]);
  });
  made.push(b);
  return b;
}

/**
 * A host device to move: a veth pair (this kernel has no dummy module), recorded for cleanup. The peer stays on the
 * host until the container's end of the pair goes with its namespace.
 */
function hostDevice(prefix: string): string {
  const dev = `${prefix}${process.pid % 100000}${Math.floor(Math.random() * 100)}`.slice(0, 13);
  links.push(dev, `${dev}p`);
  execFileSync('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
  return dev;
}

function run(b: Bundle): string {
  const id = `tsfld-${uniq()}`;
  ids.push(id);
  const res = rt(r, ['run', '-b', b.dir, id]);
  assert.equal(res.status, 0, res.err);
  return res.out;
}

/** Creates and starts a container running `sleep`; returns its init's host pid. */
function started(b: Bundle): { id: string; pid: number } {
  const id = `tsfld-${uniq()}`;
  ids.push(id);
  const c = rt(r, ['create', '-b', b.dir, id]);
  assert.equal(c.status, 0, c.err);
  const s = rt(r, ['start', id]);
  assert.equal(s.status, 0, s.err);
  return { id, pid: stateOf(r, id).pid };
}

const status = (pid: number, key: string) => (fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s*(.*)$`, 'm'))?.[1] ?? '').trim();
const niceOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);

describe('spec 1.3 process and linux fields', { skip: needRoot }, () => {
  test('personality LINUX32: uname -m says i686 inside, in the init and in an exec\'d process', () => {
    const b = box('uname -m; exec sleep 1000', (s) => void (s.linux.personality = { domain: 'LINUX32' }));
    assert.equal(run(box('uname -m', (s) => void (s.linux.personality = { domain: 'LINUX32' }))).trim(), 'i686');
    assert.equal(run(box('uname -m', (s) => void (s.linux.personality = { domain: 'LINUX' }))).trim(), os.machine());
    const { id, pid } = started(b);
    assert.equal(fs.readFileSync(`/proc/${pid}/personality`, 'utf8').trim(), '00000008');
    const e = rt(r, ['exec', id, 'uname', '-m']);
    assert.equal(e.status, 0, e.err);
    assert.equal(e.out.trim(), 'i686');
  });

  test('scheduler: SCHED_BATCH with a nice value, seen by chrt and /proc from the host', { skip: which('chrt') ? false : 'no chrt' }, () => {
    const { pid } = started(box('exec sleep 1000', (s) => void (s.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 })));
    assert.match(execFileSync('chrt', ['-p', String(pid)], { encoding: 'utf8' }), /policy: SCHED_BATCH/);
    assert.equal(niceOf(pid), 7);
    const idle = started(box('exec sleep 1000', (s) => void (s.process.scheduler = { policy: 'SCHED_IDLE' })));
    assert.match(execFileSync('chrt', ['-p', String(idle.pid)], { encoding: 'utf8' }), /policy: SCHED_IDLE/);
    // from inside: the policy field of /proc/self/sched (5 = SCHED_IDLE)
    assert.match(run(box('grep ^policy /proc/self/sched', (s) => void (s.process.scheduler = { policy: 'SCHED_IDLE' }))), /policy\s+:\s+5/);
  });

  test('ioPriority: the class and priority ionice reads from the host', { skip: which('ionice') ? false : 'no ionice' }, () => {
    const idle = started(box('exec sleep 1000', (s) => void (s.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 })));
    assert.equal(execFileSync('ionice', ['-p', String(idle.pid)], { encoding: 'utf8' }).trim(), 'idle');
    const be = started(box('exec sleep 1000', (s) => void (s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 })));
    assert.equal(execFileSync('ionice', ['-p', String(be.pid)], { encoding: 'utf8' }).trim(), 'best-effort: prio 6');
    const e = rt(r, ['exec', '-d', '--pid-file', path.join(r.root, 'exec.pid'), be.id, 'sleep', '1000']);
    assert.equal(e.status, 0, e.err);
    const execPid = Number(fs.readFileSync(path.join(r.root, 'exec.pid'), 'utf8'));
    assert.equal(execFileSync('ionice', ['-p', String(execPid)], { encoding: 'utf8' }).trim(), 'best-effort: prio 6');
  });

  test('memoryPolicy: MPOL_BIND and MPOL_PREFERRED to node 0 in numa_maps', () => {
    const bind = started(box('exec sleep 1000', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' })));
    assert.match(fs.readFileSync(`/proc/${bind.pid}/numa_maps`, 'utf8'), / bind:0 /);
    const pref = started(box('exec sleep 1000', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_PREFERRED', nodes: '0' })));
    assert.match(fs.readFileSync(`/proc/${pref.pid}/numa_maps`, 'utf8'), / prefer:0 /);
    assert.match(run(box('head -1 /proc/self/numa_maps', (s) => void (s.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0' }))), / interleave:0 /);
  });

  test('execCPUAffinity: the exec\'d process gets `final`; the init is left alone', { skip: os.cpus().length < 2 ? 'needs 2 CPUs' : false }, () => {
    const b = box('exec sleep 1000', (s) => void (s.process.execCPUAffinity = { initial: '0', final: '1' }));
    const { id, pid } = started(b);
    const all = status(pid, 'Cpus_allowed_list');
    assert.notEqual(all, '1', 'the init is not an exec\'d process');
    const pidFile = path.join(r.root, `${id}.exec.pid`);
    const e = rt(r, ['exec', '-d', '--pid-file', pidFile, id, 'sleep', '1000']);
    assert.equal(e.status, 0, e.err);
    assert.equal(status(Number(fs.readFileSync(pidFile, 'utf8')), 'Cpus_allowed_list'), '1');
    const inside = rt(r, ['exec', id, 'grep', 'Cpus_allowed_list', '/proc/self/status']);
    assert.match(inside.out, /Cpus_allowed_list:\s+1$/m);
  });

  test('netDevices: a host device (veth) moved in under its new name, with its address, up; gone from the host', { skip: which('ip') ? false : 'no ip' }, () => {
    const dev = hostDevice('tsf');
    execFileSync('ip', ['addr', 'add', '10.231.7.1/24', 'dev', dev]);
    const b = box('ls /sys/class/net; cat /sys/class/net/ctr7/operstate; ip -o -4 addr show ctr7; exec sleep 1000', (s) => {
      s.linux.netDevices = { [dev]: { name: 'ctr7' } };
    });
    const { id } = started(b);
    assert.ok(!fs.existsSync(`/sys/class/net/${dev}`), 'the device left the host');
    const out = rt(r, ['exec', id, 'sh', '-c', 'ls /sys/class/net; cat /sys/class/net/ctr7/flags; ip -o -4 addr show ctr7']).out;
    assert.match(out, /^ctr7$/m);
    assert.match(out, /^0x1[0-9a-f]*[13579bdf]$/m, 'IFF_UP');
    assert.match(out, /inet 10\.231\.7\.1\/24/);
    rt(r, ['delete', '--force', id]);
    // A virtual device is destroyed with the namespace, never moved back (spec); the veth peer goes with it.
    assert.ok(!fs.existsSync(`/sys/class/net/${dev}`));
  });

  test('netDevices: a %d template gets a name from the kernel', { skip: which('ip') ? false : 'no ip' }, () => {
    const dev = hostDevice('tsg');
    assert.match(run(box('ls /sys/class/net', (s) => void (s.linux.netDevices = { [dev]: { name: 'net%d' } }))), /^net0$/m);
  });

  test('netDevices: a name the container\'s namespace has already is an error (spec)', { skip: which('ip') ? false : 'no ip' }, async () => {
    const dev = hostDevice('tsh');
    await createFails(bundle((s) => void (s.linux!.netDevices = { [dev]: { name: 'lo' } })), [new RegExp(`^config\\.json: linux\\.netDevices\\.${dev}: cannot move .* as "lo": .*File exists`)]);
    // The kernel moves the device under its own name and then fails the rename; it goes with the namespace (a
    // physical one would come back to the host), never staying half-configured in a live container.
  });

  test('refused with one line naming the field, nothing left behind', async () => {
    await createFails(bundle((s) => void (s.linux!.netDevices = { [`nodev${uniq()}`.slice(0, 15)]: {} })), [/^config\.json: linux\.netDevices\.nodev[^:]*: no network device/]);
    await createFails(bundle((s) => void (s.linux!.intelRdt = { closID: 'gold' })), [/^config\.json: linux\.intelRdt: the resctrl filesystem is not mounted/]);
    await createFails(bundle((s) => void (s.process!.scheduler = { policy: 'SCHED_OTHER', nice: -30 })), [/^config\.json: process\.scheduler\.nice: -30 is out of range/]);
    await createFails(bundle((s) => void (s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '7' })), [/set the memory policy \(linux\.memoryPolicy\).*EINVAL/]);
  });
});

describe('spec 1.3 fields: features', { skip: needRoot }, () => {
  test('tsrun features lists them', () => {
    const f = JSON.parse(rt(r, ['features']).out) as { linux: Record<string, unknown> };
    assert.deepEqual(f.linux.netDevices, { enabled: true });
    assert.deepEqual(f.linux.intelRdt, { enabled: true, schemata: true, monitoring: true });
    assert.ok(Array.isArray((f.linux.memoryPolicy as { modes: unknown }).modes));
  });
});

/** Runs ops in the native stage's parent stage (no clone); returns its error line. */
function nativeError(ops: Op[]): string {
  const stage = spawnInit(0);
  try {
    stage.run({ ops, extraFds: 0 }, { onPid: () => {}, onSync: () => '' });
  } catch (e) {
    return (e as Error).message;
  } finally {
    stage.kill();
  }
  return '';
}

describe('spec 1.3 fields: native ops', { skip: needRoot }, () => {
  test('lsm_exec writes only to procfs, trying its paths in order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fields-'));
    try {
      // CVE-2019-16884: a file standing where the attr file should be (a container mount over /proc) is refused.
      const fake = path.join(dir, 'exec');
      fs.writeFileSync(fake, '');
      assert.match(nativeError([{ op: 'lsm_exec', data: 'exec p', paths: [fake] }]), /^set the AppArmor profile \(process\.apparmorProfile\): ".*" is not on procfs: EXDEV/);
      assert.equal(fs.readFileSync(fake, 'utf8'), '');
      // A missing path falls through to the next; without AppArmor the kernel refuses the write itself.
      const msg = nativeError([{ op: 'lsm_exec', data: 'exec p', paths: [path.join(dir, 'missing'), '/proc/self/attr/exec'] }]);
      assert.match(msg, /"\/proc\/self\/attr\/exec"/);
      const none = nativeError([{ op: 'lsm_exec', data: 'l', paths: [path.join(dir, 'a'), path.join(dir, 'b')] }]);
      assert.match(none, /^set the SELinux label \(process\.selinuxLabel\): open ".*\/b" \(is \/proc mounted in the container\?\): ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('join_resctrl writes the caller ("0") to the tasks file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fields-'));
    try {
      const tasks = path.join(dir, 'tasks');
      fs.writeFileSync(tasks, '');
      assert.match(nativeError([{ op: 'join_resctrl', path: tasks }]), /plan ended without exec/);
      assert.equal(fs.readFileSync(tasks, 'utf8'), '0');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
