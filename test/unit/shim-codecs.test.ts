// The shim's one-sided codecs (dist/shim/src/rpc/messages-server.js, which its Bun bundle takes in place of
// messages.js): every request decodes and every response encodes as with the full codecs, and nothing else is there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StaticType } from '../../shim/src/rpc/messages.js';
import { encode, methods } from '../../shim/src/rpc/proto.js';

const full = '../../shim/src/rpc/messages.js';
const server = '../../shim/src/rpc/messages-server.js';
type Codecs = { types: Record<string, StaticType>; methods: { request: string; response: string }[] };

describe('shim server-side codecs', () => {
  it('decode requests and encode responses like the full ones, and have no other direction', async () => {
    const a = (await import(full)) as Codecs;
    const s = (await import(server)) as Codecs;
    assert.deepEqual(s.methods, a.methods);
    const requests = new Set(['tsrun.frame.v1.Request', ...[...methods().values()].map((m) => m.request)]);
    const responses = new Set(['tsrun.frame.v1.Response', ...[...methods().values()].map((m) => m.response)]);
    for (const name of requests) {
      const t = s.types[name];
      assert.ok(t?.decode && t.toObject, `${name} decodes`);
    }
    for (const name of responses) {
      const t = s.types[name];
      assert.ok(t?.encode && t.fromObject, `${name} encodes`);
    }
    assert.equal(s.types['tsrun.shim.v1.CreateRequest']?.encode, undefined, 'a request is never encoded by the shim');
    assert.equal(s.types['tsrun.shim.v1.StateResponse']?.decode, undefined, 'a response is never decoded by the shim');
    // a nested message goes the way of the message holding it: Stdio arrives in CreateRequest and leaves in StateResponse
    assert.ok(s.types['tsrun.shim.v1.Stdio']?.decode && s.types['tsrun.shim.v1.Stdio']?.encode);

    const state = { id: 'c1', execId: '', bundle: '/b', pid: 42, status: 2, stdio: { stdin: '', stdout: '/o', stderr: '', terminal: false, openStdin: true }, exitStatus: 0, exitedAt: 0n, oomKilled: false, logPath: '/l' };
    const st = s.types['tsrun.shim.v1.StateResponse'] as Required<StaticType>;
    assert.deepEqual(Buffer.from(st.encode(st.fromObject(state)).finish()), Buffer.from(encode('tsrun.shim.v1.StateResponse', state)));
  });
});
