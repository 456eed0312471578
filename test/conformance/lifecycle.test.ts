// Lifecycle (runtime.md "Lifecycle" and "Operations"), the same for every runtime.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { makeBundle, needRoot, procCgroups, rt, stateOf } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

for (const r of runtimes()) {
  describe(`lifecycle: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const bundle = (script: string, edit?: Parameters<typeof makeBundle>[1]) => {
      const b = makeBundle(script, edit);
      bundles.push(b);
      return b;
    };
    const id = uniqueId;

    it('create leaves the program unstarted, start runs it, kill stops it, delete removes it', () => {
      const b = bundle('echo started > /tmp/marker; exec sleep 1000', (s) => {
        if (s.root) s.root.readonly = false;
      });
      const c = id('life');
      const pidFile = path.join(b.dir, 'pid');
      const created = rt(r, ['create', '-b', b.dir, '--pid-file', pidFile, c]);
      assert.equal(created.status, 0, created.err);
      const st = stateOf(r, c);
      assert.equal(st.status, 'created');
      assert.equal(st.id, c);
      assert.equal(st.bundle, b.dir);
      assert.equal(Number(fs.readFileSync(pidFile, 'utf8')), st.pid);
      assert.ok(fs.existsSync(`/proc/${st.pid}`), 'init process exists after create');
      assert.equal(fs.existsSync(path.join(b.rootfs, 'tmp', 'marker')), false, 'program must not run before start');
      const started = rt(r, ['start', c]);
      assert.equal(started.status, 0, started.err);
      assert.equal(stateOf(r, c).status, 'running');
      for (let i = 0; i < 200 && !fs.existsSync(path.join(b.rootfs, 'tmp', 'marker')); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.equal(fs.readFileSync(path.join(b.rootfs, 'tmp', 'marker'), 'utf8'), 'started\n');
      assert.equal(rt(r, ['start', c]).status === 0, false, 'a running container cannot be started again');
      assert.equal(rt(r, ['delete', c]).status === 0, false, 'delete of a running container needs --force');
      const killed = rt(r, ['kill', c, 'KILL']);
      assert.equal(killed.status, 0, killed.err);
      for (let i = 0; i < 200 && stateOf(r, c).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.equal(stateOf(r, c).status, 'stopped');
      const deleted = rt(r, ['delete', c]);
      assert.equal(deleted.status, 0, deleted.err);
      assert.notEqual(rt(r, ['state', c]).status, 0, 'state of a deleted container fails');
    });

    it('of two starts at once, one runs the program and the other fails', { skip: r.name === 'runc' && 'runc 1.1.5 can hang the other start for good: it opens the exec fifo blocking, after the init has written its byte and exec\'d' }, async () => {
      const b = bundle('echo once >> /tmp/marker; exec sleep 1000', (s) => {
        if (s.root) s.root.readonly = false;
      });
      const c = id('twice');
      const created = rt(r, ['create', '-b', b.dir, c]);
      assert.equal(created.status, 0, created.err);
      const start = () =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const child = spawn(r.bin, ['--root', r.root, 'start', c], { stdio: ['ignore', 'ignore', 'pipe'], env: r.env });
          let err = '';
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('close', (code) => (clearTimeout(timer), resolve({ code, err })));
        });
      const results = await Promise.all([start(), start()]);
      assert.deepEqual(results.map((x) => x.code).sort(), [0, 1], JSON.stringify(results));
      const loser = results.find((x) => x.code === 1);
      assert.match(loser?.err ?? '', /running|started/, 'the other start says the container is already running');
      assert.equal(stateOf(r, c).status, 'running');
      for (let i = 0; i < 200 && !fs.existsSync(path.join(b.rootfs, 'tmp', 'marker')); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.equal(fs.readFileSync(path.join(b.rootfs, 'tmp', 'marker'), 'utf8'), 'once\n');
      assert.equal(rt(r, ['delete', '--force', c]).status, 0);
    });

    it('kill accepts KILL, SIGKILL and 9, and TERM by default', () => {
      for (const sig of ['KILL', 'SIGKILL', '9', undefined]) {
        const b = bundle('trap "exit 0" TERM; while true; do sleep 0.05; done');
        const c = id('sig');
        assert.equal(rt(r, ['create', '-b', b.dir, c]).status, 0);
        assert.equal(rt(r, ['start', c]).status, 0);
        const k = rt(r, ['kill', c, ...(sig ? [sig] : [])]);
        assert.equal(k.status, 0, `${sig}: ${k.err}`);
        for (let i = 0; i < 300 && stateOf(r, c).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        assert.equal(stateOf(r, c).status, 'stopped', `signal ${sig ?? 'default'}`);
        assert.equal(rt(r, ['delete', c]).status, 0);
      }
    });

    it('deleting a created container kills it', () => {
      const b = bundle('sleep 1000');
      const c = id('delcreated');
      assert.equal(rt(r, ['create', '-b', b.dir, c]).status, 0);
      const pid = stateOf(r, c).pid;
      const d = rt(r, ['delete', c]);
      assert.equal(d.status, 0, d.err);
      for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.ok(!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 'init is gone');
    });

    it('delete --force removes a running container', () => {
      const b = bundle('sleep 1000');
      const c = id('force');
      assert.equal(rt(r, ['run', '-d', '-b', b.dir, c]).status, 0);
      assert.equal(stateOf(r, c).status, 'running');
      const d = rt(r, ['delete', '--force', c]);
      assert.equal(d.status, 0, d.err);
      assert.notEqual(rt(r, ['state', c]).status, 0);
    });

    it('run passes the exit code through, 128+n for a signal', async () => {
      assert.equal(rt(r, ['run', '-b', bundle('exit 3').dir, id('exit')]).status, 3);
      // pid 1 ignores signals it has no handler for, even SIGKILL from inside: the host sends it.
      const c = id('exit');
      const child = spawn(r.bin, ['--root', r.root, 'run', '-b', bundle('sleep 1000').dir, c], { stdio: 'ignore', env: r.env });
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      for (let i = 0; i < 500 && rt(r, ['state', c]).out.indexOf('"running"') < 0; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.equal(rt(r, ['kill', c, 'KILL']).status, 0);
      assert.equal(await exited, 137);
      const out = rt(r, ['run', '-b', bundle('echo out; echo err >&2').dir, id('exit')]);
      assert.equal(out.out, 'out\n');
      assert.equal(out.err, 'err\n');
    });

    it('list shows containers, -q only ids, -f json state documents', () => {
      const b = bundle('sleep 1000');
      const c = id('list');
      assert.equal(rt(r, ['create', '-b', b.dir, c]).status, 0);
      assert.ok(rt(r, ['list', '-q']).out.split('\n').includes(c));
      const json = JSON.parse(rt(r, ['list', '-f', 'json']).out) as { id: string; status: string }[];
      assert.equal(json.find((x) => x.id === c)?.status, 'created');
      assert.match(rt(r, ['list']).out, new RegExp(`^${c}\\s+\\d+\\s+created\\s+${b.dir}`, 'm'));
      assert.equal(rt(r, ['delete', c]).status, 0);
    });

    it('places the container in linux.cgroupsPath and removes the cgroup on delete', () => {
      const cg = `/tsrun-conf-${process.pid}-${r.name}`;
      const b = bundle('sleep 1000', (s) => {
        if (s.linux) s.linux.cgroupsPath = cg;
      });
      const c = id('cgroup');
      assert.equal(rt(r, ['create', '-b', b.dir, c]).status, 0);
      const lines = procCgroups(stateOf(r, c).pid);
      for (const h of ['memory', 'pids', 'freezer', 'cpu']) {
        assert.ok(lines.some((l) => l.split(':')[1]?.split(',').includes(h) && l.endsWith(`:${cg}`)), `${h} in ${lines.join(' | ')}`);
      }
      assert.ok(fs.existsSync(`/sys/fs/cgroup/memory${cg}`));
      assert.equal(rt(r, ['delete', c]).status, 0);
      assert.equal(fs.existsSync(`/sys/fs/cgroup/memory${cg}`), false, 'cgroup removed');
      assert.equal(fs.existsSync(`/sys/fs/cgroup/pids${cg}`), false, 'cgroup removed');
    });
  });
}
