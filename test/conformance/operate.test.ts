// Operating a live container: pause and resume (the freezer), ps, kill --all, and the features document.
// runc's pause, resume, ps and kill --all are the reference; runc 1.1.5 has no `features` command.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { procStat as procStatOf } from '../../runtime/src/state/store.js';
import { REPO, makeBundle, needRoot, rt, stateOf } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Every 50 ms the container writes an increasing counter to /tmp/counter in its rootfs. */
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > /tmp/counter.new; mv /tmp/counter.new /tmp/counter; sleep 0.05; done';

function readCounter(rootfs: string): number {
  try {
    return Number(fs.readFileSync(path.join(rootfs, 'tmp', 'counter'), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    sleepMs(10);
  }
}

/** A process that is gone or a zombie (killed, waiting to be reaped by whoever is its parent now). */
const gone = (pid: number): boolean => {
  const st = procStatOf(pid);
  return st === undefined || st.zombie;
};

for (const r of runtimes()) {
  describe(`operate: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const bundle = (script: string) => {
      const b = makeBundle(script, (s) => {
        if (s.root) s.root.readonly = false;
      });
      bundles.push(b);
      return b;
    };
    const runDetached = (script: string, prefix: string) => {
      const b = bundle(script);
      const c = uniqueId(prefix);
      const res = rt(r, ['run', '-d', '-b', b.dir, c]);
      assert.equal(res.status, 0, res.err);
      return { b, c };
    };

    it('pause stops the container, state says paused, resume lets it go on', () => {
      const { b, c } = runDetached(COUNTER, 'pause');
      waitFor('the counter to start', () => readCounter(b.rootfs) >= 2);
      const p = rt(r, ['pause', c]);
      assert.equal(p.status, 0, p.err);
      assert.equal(stateOf(r, c).status, 'paused');
      const frozenAt = readCounter(b.rootfs);
      sleepMs(300);
      assert.equal(readCounter(b.rootfs), frozenAt, 'the counter does not move while paused');
      const again = rt(r, ['pause', c]);
      assert.notEqual(again.status, 0, 'a paused container cannot be paused again');
      assert.equal(stateOf(r, c).status, 'paused');
      const res = rt(r, ['resume', c]);
      assert.equal(res.status, 0, res.err);
      assert.equal(stateOf(r, c).status, 'running');
      waitFor('the counter to move again', () => readCounter(b.rootfs) > frozenAt);
      assert.equal(rt(r, ['delete', '--force', c]).status, 0);
    });

    it('resume of a running container fails and leaves it running', () => {
      const { c } = runDetached('sleep 1000', 'resume-running');
      const res = rt(r, ['resume', c]);
      assert.notEqual(res.status, 0);
      assert.ok(res.err.trim().length > 0, 'an error is reported');
      if (r.name.startsWith('tsrun')) assert.equal(res.err.trim().split('\n').length, 1, `one line: ${res.err}`);
      assert.equal(stateOf(r, c).status, 'running');
      assert.equal(rt(r, ['delete', '--force', c]).status, 0);
    });

    it('pause of a stopped or a created container fails and leaves it as it was', () => {
      const b = bundle('sleep 1000');
      const c = uniqueId('pause-created');
      assert.equal(rt(r, ['create', '-b', b.dir, c]).status, 0);
      // runc 1.1 freezes a created container too (libcontainer's Pause allows Running and Created); tsrun follows
      // lifecycle.ts: only a running container can be paused.
      if (r.name !== 'runc') {
        assert.notEqual(rt(r, ['pause', c]).status, 0, 'created');
        assert.equal(stateOf(r, c).status, 'created');
      }
      assert.equal(rt(r, ['start', c]).status, 0);
      assert.equal(rt(r, ['kill', c, 'KILL']).status, 0);
      waitFor('the container to stop', () => stateOf(r, c).status === 'stopped');
      const res = rt(r, ['pause', c]);
      assert.notEqual(res.status, 0, 'stopped');
      if (r.name.startsWith('tsrun')) assert.equal(res.err.trim().split('\n').length, 1, `one line: ${res.err}`);
      assert.equal(stateOf(r, c).status, 'stopped');
      assert.equal(rt(r, ['delete', c]).status, 0);
    });

    it('delete --force removes a paused container', () => {
      const { c } = runDetached('sleep 1000', 'del-paused');
      const pid = stateOf(r, c).pid;
      assert.equal(rt(r, ['pause', c]).status, 0);
      const d = rt(r, ['delete', '--force', c]);
      assert.equal(d.status, 0, d.err);
      waitFor('the init to go', () => gone(pid));
    });

    it('ps -f json lists the init and a background child; the table keeps the header and the container lines', () => {
      const { c } = runDetached('sleep 1001 & exec sleep 1002', 'ps');
      const init = stateOf(r, c).pid;
      let pids: number[] = [];
      waitFor('two processes in the container', () => {
        const res = rt(r, ['ps', '-f', 'json', c]);
        assert.equal(res.status, 0, res.err);
        pids = JSON.parse(res.out) as number[];
        return pids.length >= 2;
      });
      assert.ok(pids.includes(init), `init ${init} in ${JSON.stringify(pids)}`);
      const child = pids.find((p) => p !== init) as number;
      assert.match(fs.readFileSync(`/proc/${child}/cmdline`, 'utf8'), /sleep\0+1001/);
      const table = rt(r, ['ps', c]);
      assert.equal(table.status, 0, table.err);
      const lines = table.out.trimEnd().split('\n');
      const header = (lines[0] ?? '').trim().split(/\s+/);
      assert.ok(header.includes('PID') && header.includes('CMD'), `header: ${lines[0]}`);
      const col = header.indexOf('PID');
      const shown = lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[col]));
      assert.deepEqual([...shown].sort(), [...pids].sort(), table.out);
      assert.ok(lines.slice(1).some((l) => l.includes('sleep 1001')) && lines.slice(1).some((l) => l.includes('sleep 1002')), table.out);
      // ps options follow the id (runc: Go's flag package stops at the first argument that is not a flag).
      const custom = rt(r, ['ps', c, '-o', 'pid,comm']);
      assert.equal(custom.status, 0, custom.err);
      const clines = custom.out.trimEnd().split('\n');
      assert.deepEqual((clines[0] ?? '').trim().split(/\s+/), ['PID', 'COMMAND']);
      assert.deepEqual(clines.slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).sort(), [...pids].sort(), custom.out);
      assert.notEqual(rt(r, ['ps', c, '-o', 'comm']).status, 0, 'without a PID column ps cannot pick the lines');
      assert.equal(rt(r, ['delete', '--force', c]).status, 0);
    });

    it('kill --all KILL kills every process of a container whose init spawned background sleeps', () => {
      const { c } = runDetached('sleep 1003 & sleep 1004 & sleep 1005 & wait', 'killall');
      let pids: number[] = [];
      waitFor('four processes', () => {
        pids = JSON.parse(rt(r, ['ps', '-f', 'json', c]).out) as number[];
        return pids.length >= 4;
      });
      const k = rt(r, ['kill', '--all', c, 'KILL']);
      assert.equal(k.status, 0, k.err);
      waitFor(`every pid gone (${pids.join(' ')})`, () => pids.every(gone));
      waitFor('the container to stop', () => stateOf(r, c).status === 'stopped');
      assert.equal(rt(r, ['delete', c]).status, 0);
    });

    it('kill --all KILL kills a paused container', () => {
      const { c } = runDetached('sleep 1006 & exec sleep 1007', 'killpaused');
      let pids: number[] = [];
      waitFor('two processes', () => {
        pids = JSON.parse(rt(r, ['ps', '-f', 'json', c]).out) as number[];
        return pids.length >= 2;
      });
      assert.equal(rt(r, ['pause', c]).status, 0);
      const k = rt(r, ['kill', '--all', c, 'KILL']);
      assert.equal(k.status, 0, k.err);
      waitFor(`every pid gone (${pids.join(' ')})`, () => pids.every(gone));
      waitFor('the container to stop', () => stateOf(r, c).status === 'stopped');
      assert.equal(rt(r, ['delete', c]).status, 0);
    });

    it('features prints a document that validates against the features schema', { skip: r.name === 'runc' ? 'runc 1.1.5 has no features command' : false }, async () => {
      const res = rt(r, ['features']);
      assert.equal(res.status, 0, res.err);
      const doc = JSON.parse(res.out);
      const { features } = (await import(path.join(REPO, 'dist', 'specs', 'validators.js'))) as { features: ((d: unknown) => boolean) & { errors?: unknown } };
      assert.ok(features(doc), JSON.stringify(features.errors));
      assert.equal(doc.ociVersionMin, '1.0.0');
      assert.equal(doc.ociVersionMax, '1.3.0');
      assert.ok(doc.mountOptions.includes('rbind') && doc.mountOptions.includes('rslave') && doc.mountOptions.includes('tmpcopyup'));
      assert.deepEqual(doc.linux.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
      assert.equal(typeof doc.annotations['io.github.tsrun.version'], 'string');
      // The upstream schema (draft-04, in ../shared) as an oracle, when it is there.
      const upstream = path.join(REPO, '..', 'shared', 'oci-runtime-spec', 'schema');
      if (fs.existsSync(path.join(upstream, 'features-schema.json'))) {
        const AjvModule = (await import('ajv')).default as unknown as { default: new (o: object) => { addSchema(s: object): void; getSchema(id: string): ((d: unknown) => boolean) & { errors?: unknown } } };
        const ajv = new AjvModule.default({ strict: false });
        const base = 'https://upstream.invalid/';
        for (const file of fs.readdirSync(upstream).filter((f) => f.endsWith('.json'))) {
          const { $schema: _, ...schema } = JSON.parse(fs.readFileSync(path.join(upstream, file), 'utf8'));
          ajv.addSchema({ ...schema, $id: base + file });
        }
        for (const platform of ['solaris', 'windows', 'vm', 'zos', 'freebsd']) {
          if (!ajv.getSchema(`${base}config-${platform}.json`)) ajv.addSchema({ $id: `${base}config-${platform}.json`, [platform]: { type: 'object' } });
        }
        const v = ajv.getSchema(`${base}features-schema.json`) as ((d: unknown) => boolean) & { errors?: unknown };
        assert.ok(v(doc), `upstream: ${JSON.stringify(v.errors)}`);
      }
    });
  });
}
