// The wire framing and message codec, without a shim (no root needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameError, FrameReader, FrameType, MAX_PAYLOAD, encodeFrame } from '../../shim/src/rpc/frame.js';
import { decode, encode, methods } from '../../shim/src/rpc/proto.js';

describe('shim frames', () => {
  it('round-trips frames split at every byte boundary', () => {
    const a = encodeFrame(1, FrameType.Request, Buffer.from('hello'));
    const b = encodeFrame(3, FrameType.Data, Buffer.alloc(0));
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.length; cut++) {
      const r = new FrameReader();
      const got = [...r.push(all.subarray(0, cut)), ...r.push(all.subarray(cut))];
      assert.deepEqual(got.map((f) => [f.stream, f.type, Buffer.from(f.payload).toString()]), [[1, 1, 'hello'], [3, 3, '']]);
    }
  });

  it('refuses an oversized length, an unknown type and set flags', () => {
    const big = Buffer.alloc(10);
    big.writeUInt32BE(MAX_PAYLOAD + 1, 0);
    big[8] = 1;
    assert.throws(() => new FrameReader().push(big), FrameError);
    const typ = encodeFrame(1, FrameType.Request, Buffer.alloc(0));
    typ[8] = 9;
    assert.throws(() => new FrameReader().push(typ), /unknown frame type 9/);
    const flags = encodeFrame(1, FrameType.Request, Buffer.alloc(0));
    flags[9] = 1;
    assert.throws(() => new FrameReader().push(flags), /flags/);
    assert.throws(() => encodeFrame(1, FrameType.Data, Buffer.alloc(MAX_PAYLOAD + 1)), FrameError);
  });

  it('codes messages with bigint uint64 and knows every method of the service', () => {
    const ev = decode<{ seq: bigint; exitedAt: bigint; topic: string }>('tsrun.shim.v1.Event', encode('tsrun.shim.v1.Event', { seq: 7n, exitedAt: 1795342536906442626n, topic: '/tasks/exit' }));
    assert.equal(ev.seq, 7n);
    assert.equal(ev.exitedAt, 1795342536906442626n);
    const names = [...methods().values()].map((m) => m.name);
    for (const m of ['Connect', 'Create', 'Start', 'State', 'Exec', 'Kill', 'Pause', 'Resume', 'Pids', 'Stats', 'Update', 'ResizePty', 'CloseIO', 'Wait', 'Delete', 'Shutdown', 'Subscribe', 'Attach', 'WriteStdin']) {
      assert.ok(names.includes(m), m);
    }
    assert.equal(methods().get('tsrun.shim.v1.Shim/Subscribe')?.streaming, true);
    assert.throws(() => decode('tsrun.frame.v1.Request', Buffer.from('GET / HTTP/1.1\r\n')));
  });
});
