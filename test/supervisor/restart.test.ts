// kill -9 tsrund with running and exited containers, start it again: every container is listed, running ones are
// still running with their stdio, exited ones report their exit codes, exits that happened while it was down are
// recorded and published, and a shim that died meanwhile is cleaned up.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Msg, TsrundClient } from '../../supervisor/src/client.js';
import { alive } from '../helpers/bundle.js';
import { EXAMPLE_ROOTFS, TestDaemon, skipReason, spec, waitFor } from './daemon.js';

const skip = skipReason();
const NS = 'restart';

describe('tsrund restart after kill -9', { skip, timeout: 120_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = new TestDaemon();
    await d.start();
  });
  after(() => d?.cleanup());

  const taskRecord = (id: string) => JSON.parse(fs.readFileSync(path.join(d.state, 'bundles', NS, id, 'task.json'), 'utf8'));

  it('takes up every container again and publishes what it missed', async () => {
    let c: TsrundClient = d.client(NS);
    const run = async (id: string, script: string, stdout = '') => {
      await c.containers.Create({ container: { id, spec: spec(script), rootfs: { path: EXAMPLE_ROOTFS }, labels: { role: id } } });
      const { pid } = await c.tasks.Create({ containerId: id, stdio: { stdout } });
      await c.tasks.Start({ containerId: id });
      return pid as number;
    };
    const sub = c.subscribe();
    await sub.ready;
    const out = path.join(d.dir, 'ticks.out');
    const ticker = await run('ticker', 'while true; do echo tick; sleep 0.1; done', out);
    await run('exited', 'exit 3');
    const downPid = await run('exits-while-down', 'exec sleep 1000');
    await run('shim-dies', 'exec sleep 1000');
    await c.containers.Create({ container: { id: 'no-task', spec: spec('true'), rootfs: { path: EXAMPLE_ROOTFS } } });
    assert.equal((await c.tasks.Wait({ containerId: 'exited' })).exitStatus, 3);
    let lastSeq = 0;
    for await (const ev of sub) {
      lastSeq = ev.seq;
      if (ev.containerId === 'exited' && ev.topic === '/tasks/exit') break;
    }
    sub.close();
    // the exit is handled once it is recorded: after the restart, only what came later is replayed
    await waitFor('the exit to be recorded', () => taskRecord('exited').exit?.status === 3 || undefined);

    await d.crash();
    const shimPid = Number(fs.readFileSync(path.join(d.state, 'bundles', NS, 'shim-dies', 'shim.pid'), 'utf8'));
    const shimDiesInit = taskRecord('shim-dies').pid as number;
    // SIGKILL: a pid namespace's init ignores signals it has no handler for
    process.kill(downPid, 'SIGKILL');
    process.kill(shimPid, 'SIGKILL');
    await waitFor('the shim to die', () => !alive(shimPid) || undefined);
    await d.start();
    c = d.client(NS);

    const replay = c.subscribe(['/tasks/'], lastSeq);
    const missed: Msg[] = [];
    for await (const ev of replay) {
      missed.push(ev);
      if (missed.filter((e) => e.topic === '/tasks/delete').length === 1 && missed.some((e) => e.containerId === 'exits-while-down')) break;
    }
    replay.close();
    const summary = missed.map((e) => `${e.containerId} ${e.topic} ${e.exitStatus}`).sort();
    assert.deepEqual(summary, ['exits-while-down /tasks/exit 137', 'shim-dies /tasks/delete 137', 'shim-dies /tasks/exit 137']);

    const ids = ((await c.containers.List({})).containers as Msg[]).map((x) => x.id);
    assert.deepEqual(ids, ['exited', 'exits-while-down', 'no-task', 'shim-dies', 'ticker']);
    const get = async (id: string) => (await c.tasks.Get({ containerId: id })).process;
    const t = await get('ticker');
    assert.equal(t.status, 2);
    assert.equal(t.pid, ticker);
    assert.ok(alive(ticker));
    assert.equal((await get('exited')).exitStatus, 3);
    assert.equal((await get('exits-while-down')).exitStatus, 137);
    assert.equal((await c.tasks.Wait({ containerId: 'exits-while-down' })).exitStatus, 137);
    const gone = await c.tasks.Get({ containerId: 'shim-dies' }).catch((e: grpc.ServiceError) => e);
    assert.equal((gone as grpc.ServiceError).code, grpc.status.NOT_FOUND);
    assert.equal(alive(shimDiesInit), false, 'tsrun-shim delete killed the container whose shim was gone');
    assert.equal(fs.existsSync(path.join(d.state, 'bundles', NS, 'shim-dies')), false);

    // the ticker's output still reaches its file through the same shim
    const size = fs.statSync(out).size;
    await waitFor('more output from the ticker', () => fs.statSync(out).size > size || undefined);

    await c.tasks.Kill({ containerId: 'ticker', signal: 9 });
    await c.tasks.Wait({ containerId: 'ticker' });
    for (const id of ['ticker', 'exited', 'exits-while-down']) await c.tasks.Delete({ containerId: id });
    for (const id of ids) await c.containers.Delete({ id });
    assert.deepEqual(d.shimPids(), []);
  });
});
