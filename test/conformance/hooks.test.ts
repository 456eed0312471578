// Hooks (config.md "POSIX-platform Hooks"): when each kind runs, in which namespace, with the state on stdin,
// and what a failure does.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Hook } from '../../runtime/src/config/spec.js';
import { makeBundle, needRoot, rt, stateOf } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

/** A hook that records its kind and the state it got on stdin under dir (a host dir, or a container dir). */
function recorder(kind: string, dir: string, extra = ''): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${kind}.json; echo ${kind} >> ${dir}/order${extra}`, kind], env: ['HOOK_ENV=yes'] };
}

for (const r of runtimes()) {
  describe(`hooks: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);

    it('runs every kind at its lifecycle point with the state on stdin', () => {
      const b = makeBundle('sleep 1000');
      bundles.push(b);
      const log = path.join(b.dir, 'log');
      fs.mkdirSync(log);
      // startContainer runs inside the container, after pivot_root: it writes into the container's /tmp
      b.spec.hooks = {
        prestart: [recorder('prestart', log)],
        createRuntime: [recorder('createRuntime', log)],
        createContainer: [recorder('createContainer', log)],
        startContainer: [recorder('startContainer', '/tmp')],
        poststart: [recorder('poststart', log)],
        poststop: [recorder('poststop', log)],
      };
      if (b.spec.root) b.spec.root.readonly = false;
      b.write();
      const c = uniqueId('hooks');
      const order = () => (fs.existsSync(path.join(log, 'order')) ? fs.readFileSync(path.join(log, 'order'), 'utf8').trim().split('\n') : []);
      assert.equal(rt(r, ['create', '-b', b.dir, c]).status, 0);
      // runc 1.1 runs poststart hooks during create, before the program is started: a deliberate runc deviation.
      const runcEarly = r.name === 'runc';
      assert.deepEqual(order(), ['prestart', 'createRuntime', 'createContainer', ...(runcEarly ? ['poststart'] : [])]);
      const pid = stateOf(r, c).pid;
      for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
        const st = JSON.parse(fs.readFileSync(path.join(log, `${kind}.json`), 'utf8'));
        assert.equal(st.id, c, kind);
        // runc 1.1 runs createContainer hooks from inside the container's pid namespace and reports pid 1 there;
        // the spec's state pid is the one the host sees.
        assert.equal(st.pid, runcEarly && kind === 'createContainer' ? 1 : pid, kind);
        assert.equal(st.bundle, b.dir, kind);
      }
      const started = rt(r, ['start', c]);
      assert.equal(started.status, 0, started.err);
      assert.deepEqual(order(), ['prestart', 'createRuntime', 'createContainer', 'poststart']);
      assert.equal(JSON.parse(fs.readFileSync(path.join(log, 'poststart.json'), 'utf8')).id, c);
      // startContainer runs in the container after start's handshake: start may return before it has written
      const inner = path.join(b.rootfs, 'tmp', 'order');
      const written = (): string => (fs.existsSync(inner) ? fs.readFileSync(inner, 'utf8') : '');
      for (let i = 0; i < 500 && !written().endsWith('\n'); i++) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      assert.equal(fs.readFileSync(inner, 'utf8'), 'startContainer\n', 'startContainer ran inside the container');
      assert.equal(JSON.parse(fs.readFileSync(path.join(b.rootfs, 'tmp', 'startContainer.json'), 'utf8')).id, c);
      assert.equal(rt(r, ['kill', c, 'KILL']).status, 0);
      for (let i = 0; i < 200 && stateOf(r, c).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      assert.equal(rt(r, ['delete', c]).status, 0);
      assert.deepEqual(order(), ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']);
      assert.equal(JSON.parse(fs.readFileSync(path.join(log, 'poststop.json'), 'utf8')).id, c);
    });

    it('a failing prestart hook fails create; a failing poststart or poststop hook only warns', () => {
      const fail: Hook = { path: '/bin/sh', args: ['sh', '-c', 'echo hook failed >&2; exit 3'] };
      const b1 = makeBundle('true', (s) => {
        s.hooks = { prestart: [fail] };
      });
      bundles.push(b1);
      const c1 = uniqueId('hookfail');
      assert.notEqual(rt(r, ['create', '-b', b1.dir, c1]).status, 0);
      assert.notEqual(rt(r, ['state', c1]).status, 0, 'no container after a failed create');
      // runc 1.1 fails the container when a poststart hook fails, against the spec's MUST: only poststop there.
      const b2 = makeBundle('true', (s) => {
        s.hooks = r.name === 'runc' ? { poststop: [fail] } : { poststart: [fail], poststop: [fail] };
      });
      bundles.push(b2);
      const res = rt(r, ['run', '-b', b2.dir, uniqueId('hookwarn')]);
      assert.equal(res.status, 0, res.err);
    });

    it('kills a hook that runs past its timeout and fails create', () => {
      const b = makeBundle('true', (s) => {
        s.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
      });
      bundles.push(b);
      const c = uniqueId('hooktimeout');
      const t0 = Date.now();
      assert.notEqual(rt(r, ['create', '-b', b.dir, c]).status, 0);
      assert.ok(Date.now() - t0 < 20_000, 'create gave up long before the hook would have finished');
    });
  });
}
