// Integration tests of the native stage (runtime/native/tsrun-init.c): hand-written plans run against a busybox
// rootfs, checked by their real effects. Needs root and a built dist/native/tsrun-init (`make -s -C runtime/native`).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { opWords, type Op } from '../../runtime/src/plan/ops.js';
import { encodeWords, MessageReader } from '../../runtime/src/plan/wire.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const INIT = path.join(root, 'dist/native/tsrun-init');
const { errno } = os.constants;

const CLONE = { NEWNS: 0x20000, PARENT: 0x8000, NEWUTS: 0x4000000, NEWIPC: 0x8000000, NEWUSER: 0x10000000, NEWPID: 0x20000000 } as const;
const MS = { RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, BIND: 4096, REC: 16384, PRIVATE: 1 << 18 } as const;
const ENV = ['PATH=/bin:/usr/bin'];

const notBuilt = fs.existsSync(INIT) ? false : `${INIT} is not built (make -s -C runtime/native)`;
const notRoot = notBuilt || (process.getuid?.() === 0 ? false : 'not root');

/** Container pids with their start times, so that cleanup never kills a process that reused a pid. */
const containerPids = new Map<number, string | undefined>();
const tmpdirs: string[] = [];

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

after(() => {
  for (const [pid, started] of containerPids) {
    if (started !== undefined && startTime(pid) === started) process.kill(pid, 'SIGKILL');
  }
  for (const dir of tmpdirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-native-'));
  tmpdirs.push(dir);
  return dir;
}

function makeRootfs(): { dir: string; rootfs: string } {
  const dir = tmpdir();
  const rootfs = path.join(dir, 'rootfs');
  const r = spawnSync(path.join(root, 'scripts/make-rootfs.sh'), [rootfs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { dir, rootfs };
}

interface Run {
  /** The next message from the native stage, or ['eof'] once the socket is closed. */
  next(): Promise<string[]>;
  send(words: string[]): void;
  /** Resolves with the container's stdout and stderr once both are closed. */
  output(): Promise<{ stdout: string; stderr: string }>;
  /** Exit code of P, the parent stage. */
  exited: Promise<number | null>;
  stdout(): string;
}

/** Spawns tsrun-init with the plan (or raw bytes) on its sync socket, fd 3. */
function run(plan: Op[] | Buffer): Run {
  const child = spawn(INIT, ['3'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const sock = child.stdio[3] as Socket;
  const { stdout, stderr } = child;
  if (!stdout || !stderr) throw new Error('spawn gave no stdio pipes');
  const reader = new MessageReader();
  const queue: string[][] = [];
  const waiters: ((m: string[]) => void)[] = [];
  const deliver = (m: string[]): void => {
    if (m[0] === 'pid') containerPids.set(Number(m[1]), startTime(Number(m[1])));
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  sock.on('data', (chunk: Buffer) => reader.push(chunk).forEach(deliver));
  sock.on('close', () => deliver(['eof']));
  sock.on('error', () => {});
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = Promise.all([new Promise((res) => stdout.on('close', res)), new Promise((res) => stderr.on('close', res))]);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  if (Buffer.isBuffer(plan)) sock.write(plan);
  else for (const o of [...plan.map(opWords), ['end']]) sock.write(encodeWords(o));
  return {
    next: () =>
      new Promise((resolve, reject) => {
        const m = queue.shift();
        if (m) return resolve(m);
        const timer = setTimeout(() => reject(new Error(`no message from tsrun-init within 10s; stderr: ${err}`)), 10_000);
        waiters.push((msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
      }),
    send: (words) => sock.write(encodeWords(words)),
    output: async () => {
      await closed;
      return { stdout: out, stderr: err };
    },
    exited,
    stdout: () => out,
  };
}

async function expectPid(r: Run): Promise<number> {
  const m = await r.next();
  assert.equal(m[0], 'pid', `expected pid, got ${JSON.stringify(m)}`);
  return Number(m[1]);
}

/**
 * The usual start of a container: private mounts, the rootfs bound onto itself, proc inside it. The rootfs op
 * comes after the bind mount so that its fd is the mount's root, which pivot_root and chroot need.
 */
function enterRootfs(rootfs: string): Op[] {
  return [
    { op: 'mount', scope: 'host', source: '', target: '/', fstype: '', flags: MS.REC | MS.PRIVATE, data: '', create: 'none' },
    { op: 'mount', scope: 'host', source: rootfs, target: rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'none' },
    { op: 'rootfs', path: rootfs },
    { op: 'mount', scope: 'rootfs', source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: '', create: 'dir' },
  ];
}

const cloneOp = (flags: number): Op => ({ op: 'clone', flags, uidMap: '', gidMap: '', setgroups: '' });
const sh = (script: string): Op => ({ op: 'exec', args: ['/bin/sh', '-c', script], env: ENV });
const NS = CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWPID | CLONE.NEWIPC;

describe('tsrun-init protocol', { skip: notBuilt }, () => {
  test('an unknown op is an error reply naming its index', async () => {
    const r = run(Buffer.concat([encodeWords(['hostname', 'x']), encodeWords(['bogus']), encodeWords(['end'])]));
    assert.deepEqual(await r.next(), ['error', '1', String(errno.EINVAL), 'unknown op "bogus"']);
    assert.equal(await r.exited, 1);
  });

  test('a malformed message is an error reply, not a hang', async () => {
    const r = run(Buffer.from('3:abc,'));
    const m = await r.next();
    assert.deepEqual(m.slice(0, 3), ['error', '0', String(errno.EPROTO)]);
    assert.equal(await r.exited, 1);
  });

  test('a parent-stage failure names the op, errno and object', async () => {
    const r = run([{ op: 'setns', path: '/nonexistent/ns', nstype: 0 }, cloneOp(0), sh('true')]);
    assert.deepEqual(await r.next(), ['error', '0', String(errno.ENOENT), 'open "/nonexistent/ns"']);
    assert.equal(await r.exited, 1);
  });
});

describe('tsrun-init containers', { skip: notRoot }, () => {
  test('runs /bin/sh as pid 1 with new namespaces, its hostname and proc', async () => {
    const { rootfs } = makeRootfs();
    const plan: Op[] = [
      cloneOp(NS),
      ...enterRootfs(rootfs),
      { op: 'hostname', name: 'tsrun-test' },
      { op: 'pivot_root' },
      { op: 'lookpath', file: 'sh', path: '/nonexistent:/bin' },
      { op: 'exec', args: ['sh', '-c', 'echo pid=$$ host=$(hostname); grep -q "^Name:" /proc/self/status && echo proc=ok; for n in mnt uts ipc pid; do readlink /proc/1/ns/$n; done'], env: ENV },
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['eof']);
    assert.equal(await r.exited, 0);
    const { stdout, stderr } = await r.output();
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'pid=1 host=tsrun-test', stderr);
    assert.equal(lines[1], 'proc=ok');
    for (const [i, ns] of ['mnt', 'uts', 'ipc', 'pid'].entries()) {
      assert.notEqual(lines[2 + i], fs.readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace is the host's`);
    }
    assert.notEqual(os.hostname(), 'tsrun-test');
  });

  test('chdir refuses a cwd outside the root reached through an fd (CVE-2024-21626)', async () => {
    const { dir, rootfs } = makeRootfs();
    // fifo_open keeps an O_PATH fd to any path: here a host directory, like the fd runc once leaked (fd 5: after
    // stdio, the sync socket and the runtime's /proc handle)
    const plan: Op[] = [{ op: 'fifo_open', path: dir }, cloneOp(NS), ...enterRootfs(rootfs), { op: 'pivot_root' }, { op: 'chdir', path: '/proc/self/fd/5' }, sh('pwd')];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['error', '7', String(errno.EPERM), 'cwd "/proc/self/fd/5" is outside the container\'s root']);
    assert.equal((await r.output()).stdout, '', 'the program never ran');
  });

  test('a mount target behind a symlink stays inside the rootfs', async () => {
    const { dir, rootfs } = makeRootfs();
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(path.join(outside, 'x'), { recursive: true });
    fs.mkdirSync(path.join(outside, 'y'), { recursive: true });
    fs.symlinkSync(outside, path.join(rootfs, 'evil'));
    fs.symlinkSync(`../../../../../../../../../..${outside}`, path.join(rootfs, 'evil2'));
    const tmpfs = (target: string): Op => ({ op: 'mount', scope: 'rootfs', source: 'tmpfs', target, fstype: 'tmpfs', flags: 0, data: '', create: 'dir' });
    const plan: Op[] = [
      cloneOp(NS),
      ...enterRootfs(rootfs),
      tmpfs('evil/x'),
      tmpfs('/evil2/y'),
      { op: 'pivot_root' },
      sh(`stat -f -c %T ${outside}/x ${outside}/y; touch ${outside}/x/inside`),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['eof']);
    const { stdout, stderr } = await r.output();
    assert.equal(stdout, 'tmpfs\ntmpfs\n', stderr);
    assert.deepEqual(fs.readdirSync(path.join(outside, 'x')), [], 'the host directory was written to');
    assert.deepEqual(fs.readdirSync(path.join(outside, 'y')), []);
    assert.ok(fs.statSync(path.join(rootfs, outside, 'x')).isDirectory(), 'target not created inside the rootfs');
    assert.ok(fs.statSync(path.join(rootfs, outside, 'y')).isDirectory());
  });

  test('a failing mount is reported with its op index, errno and detail', async () => {
    const { rootfs } = makeRootfs();
    const plan: Op[] = [
      cloneOp(NS),
      ...enterRootfs(rootfs),
      { op: 'mount', scope: 'rootfs', source: 'none', target: '/mnt', fstype: 'nosuchfs', flags: 0, data: '', create: 'dir' },
      sh('echo should not run'),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['error', '5', String(errno.ENODEV), 'mount "none" on "/mnt"']);
    assert.deepEqual(await r.next(), ['eof']);
    assert.equal((await r.output()).stdout, '');
  });

  test('lookpath reports a missing executable like runc', async () => {
    const r = run([cloneOp(0), { op: 'lookpath', file: 'no-such-cmd', path: '/bin:/usr/bin' }, sh('true')]);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['error', '1', String(errno.ENOENT), 'exec: "no-such-cmd": executable file not found in $PATH']);
  });

  test('after ready, an exec failure goes to stderr and exits 127', async () => {
    const r = run([cloneOp(CLONE.PARENT), { op: 'ready' }, { op: 'exec', args: ['/no/such/file'], env: [] }]);
    const pid = await expectPid(r);
    assert.deepEqual(await r.next(), ['ready']);
    assert.deepEqual(await r.next(), ['eof']);
    const { stderr } = await r.output();
    assert.equal(stderr, 'tsrun-init: exec: exec "/no/such/file": No such file or directory\n');
    // CLONE_PARENT made the container init our own unreaped child, so its exit code is still in /proc
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(fields[0], 'Z');
    assert.equal(Number(fields[49]) >> 8, 127);
  });

  test('sync round trip hands the state to a hook on stdin', async () => {
    const dir = tmpdir();
    const state = JSON.stringify({ ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 42, bundle: dir });
    const plan: Op[] = [
      cloneOp(0),
      { op: 'sync', name: 'createRuntime' },
      { op: 'hook', kind: 'createContainer', path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/state; echo "$FOO" > ${dir}/env`], env: ['FOO=bar'], timeout: 5 },
      { op: 'hook', kind: 'createContainer', path: '/bin/true', args: [], env: [], timeout: 0 },
      sh(`echo ran`),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['sync', 'createRuntime']);
    r.send(['ok', state]);
    assert.deepEqual(await r.next(), ['eof']);
    assert.equal((await r.output()).stdout, 'ran\n');
    assert.equal(fs.readFileSync(`${dir}/state`, 'utf8'), state);
    assert.equal(fs.readFileSync(`${dir}/env`, 'utf8'), 'bar\n');
  });

  test('abort after a sync ends the container quietly', async () => {
    const r = run([cloneOp(0), { op: 'sync', name: 'prestart' }, sh('echo should not run')]);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['sync', 'prestart']);
    r.send(['abort']);
    assert.deepEqual(await r.next(), ['eof']);
    assert.deepEqual(await r.output(), { stdout: '', stderr: '' });
  });

  test('a failing hook reports its status and first output line; a slow one times out', async () => {
    const failing = run([cloneOp(0), { op: 'hook', kind: 'prestart', path: '/bin/sh', args: ['sh', '-c', 'echo boom; echo more; exit 3'], env: [], timeout: 0 }, sh('true')]);
    await expectPid(failing);
    assert.deepEqual(await failing.next(), ['error', '1', '0', 'hook prestart "/bin/sh" exited with status 3: boom']);
    const slow = run([cloneOp(0), { op: 'hook', kind: 'poststart', path: '/bin/sleep', args: ['sleep', '30'], env: [], timeout: 1 }, sh('true')]);
    await expectPid(slow);
    assert.deepEqual(await slow.next(), ['error', '1', String(errno.ETIMEDOUT), 'hook poststart "/bin/sleep" timed out after 1s']);
  });

  test('fifo_wait blocks until a reader opens the fifo', async () => {
    const dir = tmpdir();
    const fifo = path.join(dir, 'exec.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const r = run([cloneOp(0), { op: 'fifo_open', path: fifo }, { op: 'ready' }, { op: 'fifo_wait' }, sh('echo started')]);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['ready']);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.stdout(), '', 'the container ran before the fifo was opened');
    assert.equal(await fs.promises.readFile(fifo, 'utf8'), '0');
    assert.equal((await r.output()).stdout, 'started\n');
  });

  test('a user namespace maps uid 0 inside to 100000 on the host', async () => {
    const { dir, rootfs } = makeRootfs();
    fs.chmodSync(dir, 0o755); // the container's root is uid 100000 on the host and must reach its rootfs
    const plan: Op[] = [
      { op: 'clone', flags: NS | CLONE.NEWUSER, uidMap: '0 100000 65536', gidMap: '0 100000 65536', setgroups: 'deny' },
      { op: 'setresgid', gid: 0 },
      { op: 'setresuid', uid: 0 },
      ...enterRootfs(rootfs),
      { op: 'pivot_root' },
      sh('id -u; id -g; cat /proc/self/setgroups; exec sleep 60'),
    ];
    const r = run(plan);
    const pid = await expectPid(r);
    while (r.stdout().split('\n').length < 4) await new Promise((res) => setTimeout(res, 20));
    assert.equal(r.stdout(), '0\n0\ndeny\n');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
    assert.match(status, /^Gid:\s+100000\s+100000\s+100000\s+100000$/m);
    process.kill(pid, 'SIGKILL');
    await r.output();
  });

  test('devices, symlinks, sysctls, masks and read-only paths', async () => {
    const { rootfs } = makeRootfs();
    fs.mkdirSync(path.join(rootfs, 'secret'));
    fs.writeFileSync(path.join(rootfs, 'secret/key'), 'k');
    fs.writeFileSync(path.join(rootfs, 'etc/secret'), 'password');
    const nullDev: Op = { op: 'mknod', path: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 };
    const plan: Op[] = [
      cloneOp(NS),
      ...enterRootfs(rootfs),
      { op: 'mount', scope: 'rootfs', source: 'tmpfs', target: 'dev', fstype: 'tmpfs', flags: MS.NOSUID, data: 'mode=755', create: 'dir' },
      nullDev,
      nullDev,
      { op: 'symlink', target: '/proc/self/fd', path: 'dev/fd' },
      { op: 'symlink', target: '/proc/self/fd', path: 'dev/fd' },
      { op: 'pivot_root' },
      { op: 'write', path: '/proc/sys/kernel/domainname', data: 'example.org' },
      { op: 'mask', path: '/etc/secret' },
      { op: 'mask', path: '/secret' },
      { op: 'mask', path: '/no/such/path' },
      { op: 'readonly', path: '/proc/sys' },
      { op: 'remount', scope: 'container', target: '/', flags: MS.RDONLY },
      sh([
        'test -c /dev/null && echo null=ok',
        'readlink /dev/fd',
        'cat /proc/sys/kernel/domainname',
        'wc -c < /etc/secret',
        'ls /secret | wc -l',
        '(echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo sys=rw || echo sys=ro',
        'touch /newfile 2>/dev/null && echo root=rw || echo root=ro',
      ].join('; ')),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['eof']);
    const { stdout, stderr } = await r.output();
    assert.equal(stdout, 'null=ok\n/proc/self/fd\nexample.org\n0\n0\nsys=ro\nroot=ro\n', stderr);
    assert.notEqual(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8'), 'example.org\n');
  });

  test('rlimits, umask, cwd, groups, capabilities, no_new_privs and seccomp', async () => {
    const { rootfs } = makeRootfs();
    // ld [nr]; jeq mkdir(83) -> errno; jeq mkdirat(258) -> errno; allow; errno EPERM
    const insn = (code: number, jt: number, jf: number, k: number): string => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(code, 0);
      b.writeUInt8(jt, 2);
      b.writeUInt8(jf, 3);
      b.writeUInt32LE(k, 4);
      return b.toString('hex');
    };
    const program = [insn(0x20, 0, 0, 0), insn(0x15, 2, 0, 83), insn(0x15, 1, 0, 258), insn(0x06, 0, 0, 0x7fff0000), insn(0x06, 0, 0, 0x50001)].join('');
    const caps = String((1n << 0n) | (1n << 10n)); // CAP_CHOWN, CAP_NET_BIND_SERVICE
    const plan: Op[] = [
      cloneOp(NS),
      ...enterRootfs(rootfs),
      { op: 'pivot_root' },
      { op: 'rlimit', resource: 7, name: 'RLIMIT_NOFILE', soft: '1024', hard: '1024' },
      { op: 'umask', mask: 0o077 },
      { op: 'chdir', path: '/tmp' },
      { op: 'setgroups', gids: [0, 1001] },
      { op: 'capbset', keep: caps },
      { op: 'capset', effective: caps, permitted: caps, inheritable: caps },
      { op: 'ambient', mask: String(1n << 10n) },
      { op: 'nnp' },
      { op: 'seccomp', flags: 0, program },
      { op: 'cloexec_from', fd: 3 },
      sh('ulimit -n; umask; pwd; grep -E "^(Groups|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/d 2>&1 | grep -c "not permitted"'),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['eof']);
    const { stdout, stderr } = await r.output();
    assert.equal(
      stdout.replace(/\t/g, ' '),
      '1024\n0077\n/tmp\nGroups: 0 1001 \nCapBnd: 0000000000000401\nCapAmb: 0000000000000400\nNoNewPrivs: 1\nSeccomp: 2\n1\n',
      stderr,
    );
  });

  test('chroot, domainname, keyring, and keepcaps across setresuid', async () => {
    const { rootfs } = makeRootfs();
    const netAdmin = String(1n << 12n);
    const plan: Op[] = [
      cloneOp(NS),
      ...enterRootfs(rootfs),
      { op: 'chroot' },
      { op: 'domainname', name: 'tsrun.example' },
      { op: 'keyring', name: 'tsrun-native-test' },
      { op: 'keepcaps', on: true },
      { op: 'setresgid', gid: 1000 },
      { op: 'setresuid', uid: 1000 },
      { op: 'capset', effective: netAdmin, permitted: netAdmin, inheritable: netAdmin },
      { op: 'ambient', mask: netAdmin },
      sh('id -u; id -g; cat /proc/sys/kernel/domainname; grep -c "keyring .*tsrun-native-test: empty" /proc/keys; grep "^CapEff:" /proc/self/status; ls /'),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['eof']);
    const { stdout, stderr } = await r.output();
    const lines = stdout.replace(/\t/g, ' ').split('\n');
    assert.deepEqual(lines.slice(0, 5), ['1000', '1000', 'tsrun.example', '1', 'CapEff: 0000000000001000'], stderr);
    assert.ok(lines.includes('bin') && !lines.includes('work'), `not chrooted into the rootfs: ${stdout}`);
  });

  test('setns joins another container; unshare_time offsets its clocks', async () => {
    const first = run([cloneOp(CLONE.NEWUTS), { op: 'hostname', name: 'ns-a' }, sh('echo up; exec sleep 60')]);
    const pidA = await expectPid(first);
    while (first.stdout() !== 'up\n') await new Promise((res) => setTimeout(res, 20));
    const second = run([
      { op: 'setns', path: `/proc/${pidA}/ns/uts`, nstype: CLONE.NEWUTS },
      { op: 'unshare_time', offsets: 'boottime 864000 0' },
      cloneOp(0),
      sh('hostname; cut -d. -f1 /proc/uptime'),
    ]);
    await expectPid(second);
    const { stdout, stderr } = await second.output();
    const [host, uptime] = stdout.trim().split('\n');
    assert.equal(host, 'ns-a', stderr);
    assert.ok(Number(uptime) >= 864000, `uptime ${uptime} lacks the offset`);
    process.kill(pidA, 'SIGKILL');
    await first.output();
  });

  test('console: the pty master goes over the console socket', { skip: spawnSync('python3', ['-c', 'import socket; socket.recv_fds']).status === 0 ? false : 'no python3 with socket.recv_fds to receive the pty master' }, async () => {
    const { dir, rootfs } = makeRootfs();
    const sockPath = path.join(dir, 'console.sock');
    const receiver = spawn('python3', ['-c', CONSOLE_RECEIVER, sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
    while (!got.includes('listening')) await new Promise((res) => setTimeout(res, 20));
    const plan: Op[] = [
      { op: 'console_connect', path: sockPath },
      cloneOp(NS),
      ...enterRootfs(rootfs),
      { op: 'mount', scope: 'rootfs', source: 'devpts', target: 'dev/pts', fstype: 'devpts', flags: MS.NOSUID | MS.NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620', create: 'dir' },
      { op: 'symlink', target: 'pts/ptmx', path: 'dev/ptmx' },
      { op: 'pivot_root' },
      { op: 'setsid' },
      { op: 'console', rows: 30, cols: 100 },
      sh('tty; stty size; test -t 0 && echo stdin-is-tty'),
    ];
    const r = run(plan);
    await expectPid(r);
    assert.deepEqual(await r.next(), ['eof']);
    await new Promise((res) => receiver.on('close', res));
    assert.equal(got.replace(/\r/g, ''), 'listening\n/dev/ptmx\n/dev/pts/0\n30 100\nstdin-is-tty\n');
  });
});

// Accepts one connection, prints the SCM_RIGHTS payload, then everything read from the received pty master.
const CONSOLE_RECEIVER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print('listening', flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 100, 1)
print(msg.decode(), flush=True)
out = b''
while True:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors='replace'))
`;
