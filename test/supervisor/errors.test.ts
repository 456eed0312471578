// Bad input to a real tsrund: unknown ids, Start twice, Delete of a running task, specs tsrun refuses (its own
// message reaches the client), malformed and oversized requests. Right codes, nothing half-created, and the
// daemon keeps serving.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Msg, TsrundClient } from '../../supervisor/src/client.js';
import { TSRUN } from '../helpers/bundle.js';
import { EXAMPLE_ROOTFS, TestDaemon, skipReason, spec } from './daemon.js';

const skip = skipReason();
const NS = 'errors';

async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  assert.fail('the call succeeded');
}

describe('tsrund bad input', { skip, timeout: 120_000 }, () => {
  let d: TestDaemon;
  let c: TsrundClient;
  before(async () => {
    d = new TestDaemon();
    await d.start();
    c = d.client(NS);
  });
  after(() => d?.cleanup());

  const nothingLeft = async (id: string) => {
    assert.deepEqual((await c.tasks.List({})).tasks, []);
    assert.equal(fs.existsSync(path.join(d.state, 'bundles', NS, id)), false, 'no bundle');
    assert.equal(fs.existsSync(path.join(d.state, 'shims', NS, id)), false, 'no shim state');
    assert.deepEqual(d.shimPids(), []);
    assert.deepEqual(d.cgroups(), []);
  };

  it('passes tsrun\'s own message for a spec it refuses, and leaves nothing behind', async () => {
    const edit = (s: Msg) => s.linux.namespaces.push({ type: 'pid' });
    await c.containers.Create({ container: { id: 'dupns', spec: spec('true', edit), rootfs: { path: EXAMPLE_ROOTFS } } });
    const f = await failure(c.tasks.Create({ containerId: 'dupns' }));
    // what tsrun itself says about the same config
    const bundle = fs.mkdtempSync(path.join(d.dir, 'b-'));
    const s = JSON.parse(spec('true', edit));
    s.root.path = EXAMPLE_ROOTFS;
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(s));
    const r = spawnSync(TSRUN, ['--root', path.join(d.dir, 'tsrun-root'), 'create', '--bundle', bundle, 'dupns-direct'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.equal(f.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(`tsrun: ${f.details}\n`, r.stderr);
    await nothingLeft('dupns');
    await c.containers.Delete({ id: 'dupns' });
  });

  it('passes tsrun\'s message for a container it fails to create, and leaves nothing behind', async () => {
    await c.containers.Create({ container: { id: 'badcg', spec: spec('true', (s) => (s.linux.cgroupsPath = '/../../escape')), rootfs: { path: EXAMPLE_ROOTFS } } });
    const f = await failure(c.tasks.Create({ containerId: 'badcg' }));
    assert.equal(f.code, grpc.status.UNKNOWN);
    assert.match(f.details, /^tsrun create: .*cgroupsPath/);
    await nothingLeft('badcg');
    await c.containers.Delete({ id: 'badcg' });
  });

  it('answers NotFound, AlreadyExists and FailedPrecondition naming the object', async () => {
    let f = await failure(c.tasks.Start({ containerId: 'ghost' }));
    assert.equal(f.code, grpc.status.NOT_FOUND);
    assert.match(f.details, /container ghost not found in namespace errors/);
    await c.containers.Create({ container: { id: 'twice', spec: spec('exec sleep 1000'), rootfs: { path: EXAMPLE_ROOTFS } } });
    assert.equal((await failure(c.containers.Create({ container: { id: 'twice', spec: spec('true'), rootfs: { path: EXAMPLE_ROOTFS } } }))).code, grpc.status.ALREADY_EXISTS);
    f = await failure(c.tasks.Kill({ containerId: 'twice', signal: 9 }));
    assert.equal(f.code, grpc.status.NOT_FOUND);
    assert.match(f.details, /task twice not found/);
    await c.tasks.Create({ containerId: 'twice' });
    assert.equal((await failure(c.tasks.Create({ containerId: 'twice' }))).code, grpc.status.ALREADY_EXISTS);
    await c.tasks.Start({ containerId: 'twice' });
    f = await failure(c.tasks.Start({ containerId: 'twice' }));
    assert.equal(f.code, grpc.status.FAILED_PRECONDITION, f.details);
    f = await failure(c.tasks.Delete({ containerId: 'twice' }));
    assert.equal(f.code, grpc.status.FAILED_PRECONDITION);
    assert.match(f.details, /task twice is running/);
    assert.equal((await failure(c.containers.Delete({ id: 'twice' }))).code, grpc.status.FAILED_PRECONDITION);
    assert.equal((await failure(c.tasks.Wait({ containerId: 'twice', execId: 'nope' }))).code, grpc.status.NOT_FOUND);
    assert.equal((await c.tasks.Get({ containerId: 'twice' })).process.status, 2, 'still running after the refusals');
    await c.tasks.Kill({ containerId: 'twice', signal: 9 });
    await c.tasks.Wait({ containerId: 'twice' });
    await c.tasks.Delete({ containerId: 'twice' });
    await c.containers.Delete({ id: 'twice' });
  });

  it('refuses ids with path characters and malformed or oversized requests, and keeps serving', async () => {
    for (const id of ['../../etc', 'a/b', '.', '']) {
      const f = await failure(c.containers.Create({ container: { id, spec: spec('true'), rootfs: { path: EXAMPLE_ROOTFS } } }));
      assert.equal(f.code, grpc.status.INVALID_ARGUMENT, id);
    }
    assert.equal((await failure(d.client('../x').containers.List({}))).code, grpc.status.INVALID_ARGUMENT);
    const raw = new grpc.Client(`unix://${d.address}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    const call = (method: string, bytes: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) => raw.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err)));
    const bad = await call('/tsrund.v1.Tasks/Create', Buffer.from([0x0a, 0x05, 0x61]));
    assert.equal(bad?.code, grpc.status.INVALID_ARGUMENT);
    const big = await call('/tsrund.v1.Containers/Create', Buffer.alloc(5 * 1024 * 1024, 0));
    assert.equal(big?.code, grpc.status.RESOURCE_EXHAUSTED);
    raw.close();
    assert.deepEqual((await c.containers.List({})).containers, []);
    assert.equal((await c.version.Version({})).version, '0.1.0');
  });
});
