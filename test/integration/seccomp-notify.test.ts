// SCMP_ACT_NOTIFY with linux.seccomp.listenerPath: a seccomp agent written here (a unix socket server that takes
// the container process state and the listener fd by SCM_RIGHTS, then answers notifications with
// SECCOMP_IOCTL_NOTIF_RECV/SEND) decides what mkdir returns inside real containers, for create and for exec.
// Blocking calls go through koffi's async variants (worker threads), so the agent runs while tsrun runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { declareSocketTypes } from '../../runtime/src/linux/console.js';
import { errno, koffi, libcLib as lib } from '../../runtime/src/linux/ffi.js';
import type { LinuxSeccomp } from '../../runtime/src/seccomp/types.js';
import { X86_64 as X86_64_TABLE } from '../../runtime/src/seccomp/syscalls/x86_64.js';
import { type Bundle, type Runtime, forceDelete, makeBundle, needRoot, rt, tsrunRuntime } from '../helpers/bundle.js';

const X86_64 = X86_64_TABLE();

declareSocketTypes(); // tsrun_sockaddr_un, tsrun_msghdr, tsrun_iovec
const c = {
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  bind: lib.func('int bind(int fd, const tsrun_sockaddr_un *addr, uint32_t len)'),
  listen: lib.func('int listen(int fd, int backlog)'),
  accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
  recvmsg: lib.func('intptr_t recvmsg(int fd, tsrun_msghdr *msg, int flags)'),
  poll: lib.func('int poll(_Inout_ uint8_t *fds, unsigned long n, int timeout)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long req, uint8_t *arg)'),
  close: lib.func('int close(int fd)'),
};
// _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp)
const NOTIF_RECV = 0xc0502100;
const NOTIF_SEND = 0xc0182101;
const POLLIN = 1;

const call = (f: { async: (...a: unknown[]) => void }, ...args: unknown[]): Promise<number> =>
  new Promise((resolve, reject) => f.async(...args, (err: unknown, rc: number | bigint) => (err ? reject(err) : resolve(Number(rc)))));

interface Received {
  state: { ociVersion: string; fds: string[]; pid: number; metadata?: string; state: { id: string; status: string; pid: number; bundle: string; annotations?: Record<string, string> } };
  /** The syscall numbers notified so far, in order. */
  notified: number[];
  /** Resolves once every process under the filter is gone or the agent is closed. */
  done: Promise<void>;
}

/** An agent at sockPath: for each connection, the state and fd, then `answer` for every notification. */
function agent(sockPath: string, answer: number): { next(): Promise<Received>; close(): void } {
  const fd = c.socket(1, 1 | 0o2000000, 0) as number;
  const bytes = Buffer.from(sockPath);
  if ((c.bind(fd, { sun_family: 1, sun_path: [...bytes, 0] }, 3 + bytes.length) as number) < 0) throw new Error(`bind ${sockPath}: errno ${errno()}`);
  if ((c.listen(fd, 4) as number) < 0) throw new Error(`listen: errno ${errno()}`);
  let closed = false;
  const serve = async (listener: number, notified: number[]): Promise<void> => {
    try {
      // short polls, so that a closed agent leaves no call pending on koffi's threads
      while (!closed) {
        const pfd = Buffer.alloc(8);
        pfd.writeInt32LE(listener, 0);
        pfd.writeInt16LE(POLLIN, 4);
        const ready = await call(c.poll, pfd, 1, 100);
        if (ready === 0) continue;
        // POLLHUP without POLLIN: every process under the filter is gone
        if (ready < 0 || !(pfd.readInt16LE(6) & POLLIN)) break;
        const notif = Buffer.alloc(80);
        if ((await call(c.ioctl, listener, NOTIF_RECV, notif)) < 0) continue; // the process died meanwhile
        notified.push(notif.readInt32LE(16));
        const resp = Buffer.alloc(24);
        notif.copy(resp, 0, 0, 8); // id
        resp.writeInt32LE(-answer, 16);
        await call(c.ioctl, listener, NOTIF_SEND, resp);
      }
    } finally {
      c.close(listener);
    }
  };
  return {
    async next(): Promise<Received> {
      const conn = await call(c.accept4, fd, null, null, 0o2000000);
      assert.ok(conn >= 0, 'accept');
      const data = Buffer.alloc(65536);
      const control = Buffer.alloc(64);
      const msg = { msg_name: null, msg_namelen: 0, msg_iov: koffi.as([{ iov_base: data, iov_len: data.length }], 'tsrun_iovec *'), msg_iovlen: 1, msg_control: control, msg_controllen: control.length, msg_flags: 0 };
      const n = await call(c.recvmsg, conn, msg, 0x40000000);
      // one message per connection: the sender closed its end after it
      const rest = await call(c.recvmsg, conn, { ...msg, msg_control: null, msg_controllen: 0 }, 0);
      c.close(conn);
      assert.equal(rest, 0, 'the runtime closes the connection after one state');
      assert.equal(control.readInt32LE(8), 1, 'SOL_SOCKET');
      assert.equal(control.readInt32LE(12), 1, 'SCM_RIGHTS');
      assert.equal(Number(control.readBigUInt64LE(0)), 20, 'exactly one fd');
      const notified: number[] = [];
      const done = serve(control.readInt32LE(16), notified);
      return { state: JSON.parse(data.subarray(0, n).toString()) as Received['state'], notified, done };
    },
    close: () => {
      closed = true;
      c.close(fd);
    },
  };
}

/**
 * Runs tsrun without blocking the event loop (the agent needs it); resolves with its output and status. Output goes
 * to files: a created container inherits tsrun's stdio and would hold a pipe open.
 */
function tsrunAsync(r: Runtime, args: string[]): Promise<{ out: string; err: string; status: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-out-'));
  const files = [path.join(dir, 'out'), path.join(dir, 'err')].map((f) => fs.openSync(f, 'w+'));
  const child = spawn(r.bin, ['--root', r.root, ...args], { stdio: ['ignore', ...files], env: r.env });
  files.forEach((f) => fs.closeSync(f));
  return new Promise((resolve) =>
    child.on('exit', (status) => {
      const [out, err] = ['out', 'err'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')) as [string, string];
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ out, err, status });
    }),
  );
}

/** The agent's next connection and tsrun's result; a tsrun that fails before it connects fails the test (no hang). */
async function nextWhile(a: { next(): Promise<Received> }, run: ReturnType<typeof tsrunAsync>): Promise<[Received, Awaited<typeof run>]> {
  const failed = run.then((res) => (res.status === 0 ? new Promise<never>(() => {}) : Promise.reject(new Error(`tsrun exited with ${res.status}: ${res.err}`))));
  const got = await Promise.race([a.next(), failed]);
  return [got, await run];
}

const ENOMEDIUM = 123;

function notifyProfile(listenerPath: string, flags: string[] = []): LinuxSeccomp {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    flags,
    listenerPath,
    listenerMetadata: 'agent-metadata',
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  };
}

const skip = needRoot || (process.arch !== 'x64' ? 'syscall numbers checked here are x86_64' : false);

describe('seccomp notify: the agent at listenerPath gets the state and the fd', { skip }, () => {
  const r = tsrunRuntime();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-agent-'));
  const bundles: Bundle[] = [];
  const ids: string[] = [];
  after(() => {
    ids.forEach((id) => forceDelete(r, id));
    bundles.forEach((b) => b.remove());
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(r.root, { recursive: true, force: true });
  });

  // with no_new_privs the filter also carries every flag: with a listener, the kernel wants TSYNC_ESRCH beside TSYNC,
  // and WAIT_KILLABLE_RECV only means something here
  const ALL_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
  for (const nnp of [true, false]) {
    it(`answers mkdir in the container with the agent's errno, and the container goes on (noNewPrivileges ${nnp}${nnp ? ', every flag' : ''})`, async () => {
      const sock = path.join(dir, `run-${nnp}.sock`);
      const a = agent(sock, ENOMEDIUM);
      const id = `notify-run-${nnp}-${process.pid}`;
      ids.push(id);
      const b = makeBundle('mkdir /tmp/x; echo "mkdir=$?"; ls /proc/self/fd | wc -l; echo after', (s) => {
        s.linux!.seccomp = notifyProfile(sock, nnp ? ALL_FLAGS : []);
        s.process!.noNewPrivileges = nnp;
        s.annotations = { 'org.example': 'yes' };
      });
      bundles.push(b);
      try {
        const [got, res] = await nextWhile(a, tsrunAsync(r, ['run', '-b', b.dir, id]));
        await got.done;
        assert.equal(res.status, 0, res.err);
        assert.equal(res.out, 'mkdir=1\n4\nafter\n', 'stdio and the fd of ls only: the container holds no listener fd');
        assert.match(res.err, /mkdir: can't create directory '\/tmp\/x': No medium found/);
        assert.ok(got.notified.length >= 1 && got.notified.every((nr) => nr === X86_64.mkdir || nr === X86_64.mkdirat), JSON.stringify(got.notified));
        const { state } = got;
        assert.deepEqual(state.fds, ['seccompFd']);
        assert.equal(state.metadata, 'agent-metadata');
        assert.equal(state.ociVersion, '1.3.0');
        assert.equal(state.pid, state.state.pid);
        assert.ok(state.pid > 1);
        assert.deepEqual({ ...state.state, pid: 0 }, { ociVersion: '1.3.0', id, status: 'creating', pid: 0, bundle: b.dir, annotations: { 'org.example': 'yes' } });
      } finally {
        a.close();
      }
    });
  }

  it('hands the filter of an exec to the agent with the running state', async () => {
    const sock = path.join(dir, 'exec.sock');
    const a = agent(sock, ENOMEDIUM);
    const id = `notify-exec-${process.pid}`;
    ids.push(id);
    const b = makeBundle('sleep 60', (s) => {
      s.linux!.seccomp = notifyProfile(sock);
    });
    bundles.push(b);
    try {
      const [init, created] = await nextWhile(a, tsrunAsync(r, ['create', '-b', b.dir, id]));
      assert.equal(created.status, 0, created.err);
      assert.equal(init.state.state.status, 'creating');
      assert.deepEqual(init.notified, []);
      assert.equal(rt(r, ['start', id]).status, 0);
      const [got, res] = await nextWhile(a, tsrunAsync(r, ['exec', id, 'sh', '-c', 'mkdir /tmp/y; echo "mkdir=$?"']));
      await got.done;
      assert.equal(res.status, 0, res.err);
      assert.equal(res.out, 'mkdir=1\n');
      assert.match(res.err, /No medium found/);
      assert.equal(got.state.state.status, 'running');
      assert.equal(got.state.state.pid, init.state.pid);
      assert.notEqual(got.state.pid, init.state.pid, 'pid is the exec process');
      assert.ok(got.notified.length >= 1);
    } finally {
      forceDelete(r, id);
      a.close();
    }
  });

  it('fails create in one line naming listenerPath and errno when no agent listens, and leaves nothing behind', () => {
    const sock = path.join(dir, 'nobody.sock');
    const id = `notify-none-${process.pid}`;
    const b = makeBundle('true', (s) => {
      s.linux!.seccomp = notifyProfile(sock);
    });
    bundles.push(b);
    const res = rt(r, ['create', '-b', b.dir, id]);
    assert.notEqual(res.status, 0);
    assert.equal(res.err, `tsrun: linux.seccomp.listenerPath: connect ${sock}: ENOENT (no such file or directory)\n`);
    assert.equal(rt(r, ['list', '-q']).out.split('\n').includes(id), false);
    assert.equal(fs.existsSync(path.join(r.root, id)), false);
  });
});
