// A container's whole life through ShimClient, and the errors the API gives for bad requests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Status } from '../../shim/src/api.js';
import { Code } from '../../shim/src/rpc/codes.js';
import type { ShimCallError } from '../../shim/src/client.js';
import { REPO, alive, needRoot, procCgroups } from '../helpers/bundle.js';
import { SHIM, type TestShim, eventsUntil, execSpec, gone, startShim } from './helpers.js';

const code = (e: unknown) => (e as ShimCallError).code;

for (const engine of ['bun', 'node'] as const) {
  describe(`tsrun-shim lifecycle (${engine})`, { skip: needRoot }, () => {
    const shims: TestShim[] = [];
    after(() => shims.forEach((s) => s.stop()));
    const env = { ...process.env, TSRUN_ENGINE: engine };

    it('create, start, exec, kill, wait, delete: events in order, exit codes recorded', async () => {
      const s = await startShim('trap "exit 3" TERM; while true; do sleep 0.1; done', undefined, env);
      shims.push(s);
      const c = s.client;
      const hello = await c.connect();
      assert.equal(hello.shimPid, s.pid);
      assert.equal(hello.id, s.id);
      const { pid } = await c.create({ id: s.id, bundle: s.bundle.dir });
      assert.ok(pid > 0 && alive(pid));
      assert.equal(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^PPid:\s+(\d+)/m)?.[1], String(s.pid), 'the shim is the init\'s parent');
      assert.equal((await c.state({ id: s.id })).status, Status.CREATED);
      assert.equal((await c.start({ id: s.id })).pid, pid);
      assert.equal((await c.state({ id: s.id })).status, Status.RUNNING);

      await c.exec({ id: s.id, execId: 'e1', spec: execSpec(['sh', '-c', 'exit 5']) });
      assert.equal((await c.state({ id: s.id, execId: 'e1' })).status, Status.CREATED);
      const e1 = await c.start({ id: s.id, execId: 'e1' });
      assert.ok(e1.pid > 0);
      assert.equal((await c.wait({ id: s.id, execId: 'e1' })).exitStatus, 5);
      assert.equal((await c.state({ id: s.id, execId: 'e1' })).status, Status.STOPPED);
      assert.equal((await c.delete({ id: s.id, execId: 'e1' })).exitStatus, 5);
      await assert.rejects(c.state({ id: s.id, execId: 'e1' }), (e) => code(e) === Code.NotFound);

      const pids = await c.pids(s.id);
      assert.ok(pids.some((p) => p.pid === pid));
      const stats = (await c.stats(s.id)) as { data?: { pids?: { current?: number } } };
      assert.ok(stats && typeof stats === 'object', 'stats JSON');

      await c.update(s.id, { pids: { limit: 77 } });
      const pidsCgroup = procCgroups(pid).map((l) => l.split(':')).find(([, ctl]) => ctl === 'pids')?.[2];
      assert.equal(fs.readFileSync(path.join('/sys/fs/cgroup/pids', pidsCgroup ?? '/nonexistent', 'pids.max'), 'utf8').trim(), '77', 'Update reached the cgroup');
      await assert.rejects(c.update(s.id, { pids: { limit: 'many' } }), (e) => code(e) === Code.Unknown && /pids/.test((e as Error).message), 'the runtime refuses a bad resource');

      await c.pause(s.id);
      assert.equal((await c.state({ id: s.id })).status, Status.PAUSED);
      await c.resume(s.id);
      await c.kill({ id: s.id, signal: 15 });
      const exit = await c.wait({ id: s.id });
      assert.equal(exit.exitStatus, 3);
      assert.ok(exit.exitedAt > 0n);
      const del = await c.delete({ id: s.id });
      assert.equal(del.exitStatus, 3);
      assert.equal(del.pid, pid);

      const events = await eventsUntil(c, (e) => e.topic === '/tasks/delete');
      assert.deepEqual(
        events.map((e) => `${e.topic}${e.execId ? `:${e.execId}` : ''}`),
        ['/tasks/create', '/tasks/start', '/tasks/exec-added:e1', '/tasks/exec-started:e1', '/tasks/exit:e1', '/tasks/paused', '/tasks/resumed', '/tasks/exit', '/tasks/delete'],
      );
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => BigInt(i + 1)));
      assert.equal(events.find((e) => e.topic === '/tasks/exit' && !e.execId)?.exitStatus, 3);

      await c.shutdown({ id: s.id });
      for (let i = 0; i < 500 && !gone(s.pid); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(gone(s.pid), 'the shim exits after Shutdown');
      assert.ok(!fs.existsSync(s.stateDir) && !fs.existsSync(`${s.bundle.dir}/shim.address`), 'a clean shutdown leaves nothing');
    });

    it('bad requests: a clear error, and the shim goes on serving', async () => {
      const s = await startShim('sleep 1000', undefined, env);
      shims.push(s);
      const c = s.client;
      await assert.rejects(c.start({ id: s.id }), (e) => code(e) === Code.NotFound);
      await assert.rejects(c.create({ id: 'other', bundle: s.bundle.dir }), (e) => code(e) === Code.InvalidArgument && /other/.test((e as Error).message));
      await c.create({ id: s.id, bundle: s.bundle.dir });
      await assert.rejects(c.create({ id: s.id, bundle: s.bundle.dir }), (e) => code(e) === Code.AlreadyExists);
      await c.exec({ id: s.id, execId: 'done', spec: execSpec(['true']) });
      await assert.rejects(c.kill({ id: s.id, execId: 'done', signal: 9 }), (e) => code(e) === Code.FailedPrecondition, 'kill of an exec not started');
      await assert.rejects(c.exec({ id: s.id, execId: 'done', spec: execSpec(['true']) }), (e) => code(e) === Code.AlreadyExists);
      await assert.rejects(c.exec({ id: s.id, execId: 'bad', spec: Buffer.from('{"args": []}') }), (e) => code(e) === Code.InvalidArgument && /args/.test((e as Error).message));
      await assert.rejects(c.exec({ id: s.id, execId: '../x', spec: execSpec(['true']) }), (e) => code(e) === Code.InvalidArgument);
      await c.start({ id: s.id });
      await assert.rejects(c.start({ id: s.id }), (e) => code(e) === Code.FailedPrecondition, 'a second start');
      await c.start({ id: s.id, execId: 'done' });
      assert.equal((await c.wait({ id: s.id, execId: 'done' })).exitStatus, 0);
      await assert.rejects(c.kill({ id: s.id, execId: 'done', signal: 9 }), (e) => code(e) === Code.FailedPrecondition && /finished/.test((e as Error).message), 'kill of an exited exec');
      await assert.rejects(c.start({ id: s.id, execId: 'done' }), (e) => code(e) === Code.FailedPrecondition, 'a second start of an exec');
      await c.kill({ id: s.id, signal: 9 });
      assert.equal((await c.wait({ id: s.id })).exitStatus, 137);
      await assert.rejects(c.kill({ id: s.id, signal: 9 }), (e) => code(e) === Code.FailedPrecondition && /finished/.test((e as Error).message), 'kill of an exited init');
      await assert.rejects(c.kill({ id: s.id, execId: 'nope', signal: 9 }), (e) => code(e) === Code.NotFound && /nope/.test((e as Error).message));
      await assert.rejects(c.wait({ id: s.id, execId: 'nope' }), (e) => code(e) === Code.NotFound);
      await assert.rejects(c.kill({ id: s.id, signal: 99 }), (e) => code(e) === Code.InvalidArgument);

      // Garbage on a connection of its own: an error response on stream 0, then that connection is closed.
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const sock = net.createConnection(s.address);
        const got: Buffer[] = [];
        sock.on('connect', () => sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
        sock.on('data', (d) => got.push(d));
        sock.on('close', () => resolve(Buffer.concat(got)));
        sock.on('error', reject);
      });
      assert.ok(reply.length > 10, 'an error response came back');
      assert.equal(reply.readUInt32BE(4), 0, 'on stream 0');
      assert.equal(reply[8], 2, 'a Response frame');
      // The first connection and new ones still work.
      assert.equal((await c.state({ id: s.id })).status, Status.STOPPED);
      assert.equal((await c.delete({ id: s.id })).exitStatus, 137);
    });

    it('delete of a container that was never started: killed, its exit recorded before the delete', async () => {
      const s = await startShim('sleep 1000', undefined, env);
      shims.push(s);
      const { pid } = await s.client.create({ id: s.id, bundle: s.bundle.dir });
      const del = await s.client.delete({ id: s.id });
      assert.equal(del.pid, pid);
      assert.equal(del.exitStatus, 137);
      const events = await eventsUntil(s.client, (e) => e.topic === '/tasks/delete');
      assert.deepEqual(events.map((e) => e.topic), ['/tasks/create', '/tasks/exit', '/tasks/delete']);
      await assert.rejects(s.client.state({ id: s.id }), (e) => code(e) === Code.NotFound);
    });

    it('start: tsrun\'s start code runs in the shim; with poststart hooks `tsrun start` runs them; errors name the runtime', async () => {
      const released = /start shimtest-\S+: released its init \d+ here/;
      const plain = await startShim('sleep 1000', undefined, env);
      shims.push(plain);
      await plain.client.create({ id: plain.id, bundle: plain.bundle.dir });
      await plain.client.start({ id: plain.id });
      assert.equal((await plain.client.state({ id: plain.id })).status, Status.RUNNING);
      const runtimeState = spawnSync(path.join(REPO, 'bin', 'tsrun'), ['--root', plain.runtimeRoot, 'state', plain.id], { encoding: 'utf8' });
      assert.equal(JSON.parse(runtimeState.stdout).status, 'running', runtimeState.stderr);
      assert.match(fs.readFileSync(path.join(plain.stateDir, 'shim.log'), 'utf8'), released);

      const out = path.join(os.tmpdir(), `tsrun-poststart-${process.pid}-${engine}`);
      const hooked = await startShim('sleep 1000', (spec) => {
        spec.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}`] }] };
      }, env);
      shims.push(hooked);
      try {
        await hooked.client.create({ id: hooked.id, bundle: hooked.bundle.dir });
        await hooked.client.start({ id: hooked.id });
        assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).status, 'running', 'the poststart hook ran with the state');
        assert.doesNotMatch(fs.readFileSync(path.join(hooked.stateDir, 'shim.log'), 'utf8'), released);
      } finally {
        fs.rmSync(out, { force: true });
      }

      // started behind the shim's back: the shim's start gets tsrun's own refusal
      const raced = await startShim('sleep 1000', undefined, env);
      shims.push(raced);
      await raced.client.create({ id: raced.id, bundle: raced.bundle.dir });
      const first = spawnSync(path.join(REPO, 'bin', 'tsrun'), ['--root', raced.runtimeRoot, 'start', raced.id], { encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      await assert.rejects(raced.client.start({ id: raced.id }), (e) => {
        assert.equal(code(e), Code.Unknown);
        assert.equal((e as Error).message, `tsrun start: cannot start container ${raced.id}: it is running`);
        return true;
      });
    });

    it('a runtime failure comes back with the runtime\'s own message', async () => {
      const s = await startShim('true', (spec) => {
        if (spec.process) spec.process.args = ['/no/such/program'];
      }, env);
      shims.push(s);
      await assert.rejects(s.client.create({ id: s.id, bundle: s.bundle.dir }), (e) => code(e) === Code.Unknown && /\/no\/such\/program/.test((e as Error).message));
      await assert.rejects(s.client.state({ id: s.id }), (e) => code(e) === Code.NotFound, 'a failed create leaves no container');
    });
  });
}

describe('tsrun-shim start: bad input', () => {
  it('a missing bundle, an unknown flag, a bad id: a one-line error, a non-zero exit, nothing left behind', () => {
    const state = path.join(os.tmpdir(), `tsrun-shim-bad-${process.pid}`);
    const cases: [string[], RegExp][] = [
      [['--id', 'x', '--bundle', '/nonexistent', '--namespace', 'n', '--state-dir', state], /--bundle \/nonexistent: no such directory/],
      [['--id', 'x', '--bundle', os.tmpdir(), '--namespace', 'n', '--state-dir', state, '--bogus'], /Unknown option '--bogus'/],
      [['--id', 'a/b', '--bundle', os.tmpdir(), '--namespace', 'n', '--state-dir', state], /--id "a\/b"/],
      [['--bundle', os.tmpdir(), '--namespace', 'n', '--state-dir', state], /--id is required/],
    ];
    for (const [args, why] of cases) {
      const r = spawnSync(SHIM, ['start', ...args], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr.split('\n')[0] ?? '', why);
      assert.equal(r.stdout, '');
      assert.ok(!fs.existsSync(state), `no state dir after ${args.join(' ')}`);
    }
  });
});
