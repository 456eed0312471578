// The cgroup v2 device filter on the real kernel (root): a cgroup of the test's own in the cgroup2 hierarchy (on a
// hybrid host the controller-less /sys/fs/cgroup/unified, which takes device programs all the same), its rules set by
// the v2 manager's apply() (the runtime's code path: generator, bpf(2) through koffi), a shell moved into it, and
// opens that succeed or fail with EPERM; then replaced programs change the decisions, with only one program attached.
// And a container run by tsrun on a cgroup v2 view of the host: a private mount and cgroup namespace, rooted in a
// cgroup of the test's own, with cgroup2 mounted over /sys/fs/cgroup there (the host's mounts are not touched).
// Cleans up: the shell killed by pid, the programs detached, the cgroups removed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { detect } from '../../runtime/src/cgroups/detect.js';
import { fromPaths, UNIFIED } from '../../runtime/src/cgroups/manager.js';
import { deviceProgram, encodeProgram } from '../../runtime/src/cgroups/v2/device-bpf.js';
import { attachedDevicePrograms, clearCgroupDeviceFilters, loadDeviceProgram, setCgroupDeviceFilter } from '../../runtime/src/linux/bpf.js';
import { makeBundle, TSRUN, which } from '../helpers/bundle.js';

function cgroup2Mount(): string | undefined {
  const host = detect();
  return host.mode === 'v2' ? host.unified.mountPoint : host.unified?.mountPoint;
}
const root = process.getuid?.() === 0 ? cgroup2Mount() : undefined;
const skip = process.getuid?.() !== 0 ? 'not root' : root === undefined ? 'no cgroup2 hierarchy mounted' : false;
const dir = path.join(root ?? '/nonexistent', `tsrun-devtest-${randomBytes(4).toString('hex')}`);
/** The cgroup the end-to-end test's namespace is rooted in. */
const nsRoot = `${dir}-ns`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-devtest-'));
let child: ChildProcess | undefined;

after(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
  if (fs.existsSync(dir)) {
    clearCgroupDeviceFilters(dir);
    for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
      try {
        fs.rmdirSync(dir);
      } catch {
        await sleep(20);
      }
    }
  }
  // What a failed container run may leave below the namespace root, children first.
  if (fs.existsSync(nsRoot)) spawnSync('find', [nsRoot, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A shell that runs each line it reads (after the test moved it), answering with the output and exit status. */
async function shell(): Promise<(line: string) => Promise<string>> {
  const c = spawn('sh', ['-c', 'while read -r line; do sh -c "$line" 2>&1; echo "__done $?"; done'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child = c;
  await once(c, 'spawn');
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return async (line) => {
    out = '';
    c.stdin?.write(`${line}\n`);
    for (const end = Date.now() + 10000; !/__done \d+\n/.test(out); await sleep(10)) {
      if (c.exitCode !== null || c.signalCode !== null) assert.fail(`shell exited on ${line}: ${out}`);
      if (Date.now() > end) assert.fail(`shell timed out on ${line}: ${out}`);
    }
    return out;
  };
}

const ok = /^__done 0\n$/;
const eperm = /Operation not permitted\n__done [1-9]\d*\n$/;

describe('cgroup v2 device filter on the kernel', { skip }, () => {
  it('allows and denies opens as the rules say, and replaces the program on apply', async () => {
    fs.mkdirSync(dir);
    const m = fromPaths({ [UNIFIED]: dir }, { created: [dir] });
    assert.equal(m.version, 'v2');
    m.apply({});
    const sh = await shell();
    assert.ok(child?.pid);
    m.join(child.pid);
    assert.equal(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim(), String(child.pid));

    // runc's default devices only.
    assert.match(await sh('read -r x < /dev/null; : > /dev/null'), ok);
    assert.match(await sh('head -c 4 /dev/zero | wc -c'), /^4\n__done 0\n$/);
    assert.match(await sh(': < /dev/kmsg'), eperm);
    assert.match(await sh(`mknod ${tmp}/kmsg c 1 11 && : < ${tmp}/kmsg`), eperm);
    assert.ok(fs.existsSync(`${tmp}/kmsg`), 'mknod of any device is allowed');

    // Read access to /dev/kmsg: a read-write open needs both bits in one rule.
    m.apply({ devices: [{ allow: true, type: 'c', major: 1, minor: 11, access: 'r' }] });
    assert.match(await sh(': < /dev/kmsg'), ok);
    assert.match(await sh(': <> /dev/kmsg'), eperm);

    // A deny list: everything but writes to /dev/kmsg, and a read-write open shares the denied bit (v1's semantics).
    m.apply({ devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 11, access: 'w' }] });
    assert.match(await sh(': < /dev/kmsg'), ok);
    assert.match(await sh(': <> /dev/kmsg'), eperm);
    assert.match(await sh(': < /dev/loop-control'), ok);

    const dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      assert.equal(attachedDevicePrograms(dirFd).length, 1, 'each apply replaces the program');
      // The raw layer: a program without the default rules denies even mknod and /dev/null.
      setCgroupDeviceFilter(dir, encodeProgram(deviceProgram({ defaultAllow: false, rules: new Map() })), 'MIT');
      assert.equal(attachedDevicePrograms(dirFd).length, 1);
    } finally {
      fs.closeSync(dirFd);
    }
    assert.match(await sh(': < /dev/null'), eperm);
    assert.match(await sh(`mknod ${tmp}/null c 1 3`), eperm);
  });

  it('reports the verifier\'s reason for a refused program in one line', () => {
    // exit without setting r0
    assert.throws(() => loadDeviceProgram(Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0]), 'MIT'), (err: unknown) =>
      err instanceof Error && /^bpf\(BPF_PROG_LOAD\): E(ACCES|INVAL): R0 !read_ok$/.test(err.message));
    // a load outside struct bpf_cgroup_dev_ctx
    const outside = Uint8Array.from([0x61, 0x12, 16, 0, 0, 0, 0, 0, 0xb4, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    assert.throws(() => loadDeviceProgram(outside, 'MIT'), /^BpfError: bpf\(BPF_PROG_LOAD\): E(ACCES|INVAL): invalid bpf_context access off=16 size=4$/);
  });

  it('confines a container run by tsrun on a cgroup v2 host', { skip: which('unshare') ? false : 'no unshare(1)' }, () => {
    const b = makeBundle('(: < /dev/kmsg) 2>&1; (: <> /dev/fuse) && echo fuse-rw; (: < /dev/null) && echo null-ok', (spec) => {
      spec.linux = {
        ...spec.linux,
        cgroupsPath: '/ctr',
        devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600 }, { path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o600 }],
        resources: { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] },
      };
    });
    const state = fs.mkdtempSync(path.join(tmp, 'state-'));
    try {
      fs.mkdirSync(nsRoot);
      // The shell moves itself into nsRoot, so that the new cgroup namespace (and the cgroup2 mount in it) is rooted
      // there; tsrun then sees a v2 host and makes the container's cgroup nsRoot/ctr.
      const inner = `mount -t cgroup2 none /sys/fs/cgroup && exec ${TSRUN} --root ${state} run -b ${b.dir} devtest-ctr`;
      const r = spawnSync('sh', ['-c', `echo $$ > ${nsRoot}/cgroup.procs && exec unshare -C -m --propagation private sh -c '${inner}'`], { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /can't open \/dev\/kmsg: Operation not permitted\nfuse-rw\nnull-ok\n$/);
      assert.ok(!fs.existsSync(path.join(nsRoot, 'ctr')), 'tsrun removed the container\'s cgroup');
    } finally {
      b.remove();
    }
  });
});
