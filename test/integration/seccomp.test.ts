// Compiled seccomp filters in the kernel: the native stage loads them from a hand-written plan and a busybox shell
// shows their effect. Needs root and a built dist/native/tsrun-init (`make -s -C runtime/native`).
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
import { seccompOp } from '../../runtime/src/seccomp/op.js';
import { fromDockerProfile, type DockerProfile } from '../../runtime/src/seccomp/docker.js';
import type { LinuxSeccomp } from '../../runtime/src/seccomp/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const INIT = path.join(root, 'dist/native/tsrun-init');
const PROFILE = '/usr/share/containers/seccomp.json';
const skip =
  process.getuid?.() !== 0 ? 'not root'
  : !fs.existsSync(INIT) ? `${INIT} is not built (make -s -C runtime/native)`
  : process.arch !== 'x64' ? 'syscall numbers in these scripts are x86_64'
  : false;

const tmpdirs: string[] = [];
after(() => tmpdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function makeRootfs(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-seccomp-'));
  tmpdirs.push(dir);
  const rootfs = path.join(dir, 'rootfs');
  const r = spawnSync(path.join(root, 'scripts/make-rootfs.sh'), [rootfs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return rootfs;
}

/** Runs `sh -c script` in new namespaces under the filter; resolves with its output and the native stage's messages. */
async function runUnder(seccomp: Op, script: string): Promise<{ stdout: string; stderr: string; messages: string[][] }> {
  const rootfs = makeRootfs();
  const MS = { BIND: 4096, REC: 16384, PRIVATE: 1 << 18, NOSUID: 2, NODEV: 4, NOEXEC: 8 };
  const plan: Op[] = [
    { op: 'clone', flags: 0x20000 | 0x4000000 | 0x8000000 | 0x20000000, uidMap: '', gidMap: '', setgroups: '' },
    { op: 'mount', scope: 'host', source: '', target: '/', fstype: '', flags: MS.REC | MS.PRIVATE, data: '', create: 'none' },
    { op: 'mount', scope: 'host', source: rootfs, target: rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'none' },
    { op: 'rootfs', path: rootfs },
    { op: 'mount', scope: 'rootfs', source: 'proc', target: '/proc', fstype: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: '', create: 'dir' },
    { op: 'pivot_root' },
    seccomp,
    { op: 'exec', args: ['/bin/sh', '-c', script], env: ['PATH=/bin'] },
  ];
  const child = spawn(INIT, ['3'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const sock = child.stdio[3] as Socket;
  const { stdout: out, stderr: err } = child;
  if (!out || !err) throw new Error('spawn gave no stdio pipes');
  const reader = new MessageReader();
  const messages: string[][] = [];
  sock.on('data', (chunk: Buffer) => messages.push(...reader.push(chunk)));
  sock.on('error', () => {});
  for (const words of [...plan.map(opWords), ['end']]) sock.write(encodeWords(words));
  let stdout = '';
  let stderr = '';
  out.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  err.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = (s: NodeJS.EventEmitter): Promise<unknown> => new Promise((res) => s.on('close', res));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await Promise.all([closed(out), closed(err), closed(sock)]);
  clearTimeout(timeout);
  return { stdout, stderr, messages };
}

describe('seccomp filters in the kernel', { skip }, () => {
  test('mkdir gets EPERM, kill -0 gets the rule errno, everything else runs', async () => {
    const profile: LinuxSeccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    const script = 'mkdir /tmp/x; echo "mkdir=$?"; echo "pid=$$"; kill -0 $$; echo "kill0=$?"; kill -CONT $$; echo "cont=$?"; grep "^Seccomp:" /proc/self/status';
    const { stdout, stderr, messages } = await runUnder(seccompOp(profile), script);
    assert.equal(stdout.replace(/\t/g, ' '), 'mkdir=1\npid=1\nkill0=1\ncont=0\nSeccomp: 2\n', `${stderr} ${JSON.stringify(messages)}`);
    assert.match(stderr, /can't create directory '\/tmp\/x': Operation not permitted/);
    assert.match(stderr, /Permission denied/);
  });

  test('the containers-common default profile runs a busybox shell and blocks what it denies', { skip: fs.existsSync(PROFILE) ? false : `no ${PROFILE}` }, async () => {
    const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
    const profile = fromDockerProfile(JSON.parse(fs.readFileSync(PROFILE, 'utf8')) as DockerProfile, { capabilities: caps });
    const script = [
      'echo hello',
      'ls / | grep -c -x -e bin -e etc',
      'cat /etc/hostname',
      'hostname blocked; echo "hostname=$?"',
      'swapoff /nonexistent; echo "swapoff=$?"',
      'grep "^Seccomp:" /proc/self/status',
    ].join('; ');
    const { stdout, stderr, messages } = await runUnder(seccompOp(profile), script);
    assert.equal(stdout.replace(/\t/g, ' '), 'hello\n2\nrootfs\nhostname=1\nswapoff=1\nSeccomp: 2\n', `${stderr} ${JSON.stringify(messages)}`);
    assert.match(stderr, /hostname: sethostname: Operation not permitted/);
    assert.match(stderr, /swapoff: \/nonexistent: Operation not permitted/);
  });
});
