// shim/src/rpc/long.ts, the BigInt Long that the shim's Bun bundle gives protobufjs instead of long.js: the same
// bits as long.js for every edge of the 64-bit range, and the shim's messages through protobufjs with it installed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import LongJs from 'long';
import $pb from 'protobufjs/minimal.js';
import Long from '../../shim/src/rpc/long.js';
import { decode, encode } from '../../shim/src/rpc/proto.js';

const TOP = path.resolve(decodeURIComponent(new URL('.', import.meta.url).pathname), '../../..');

const VALUES = [0n, 1n, 255n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 1795342536906442626n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

describe('shim Long over BigInt', () => {
  it('has long.js bits, strings and numbers for unsigned and signed values', () => {
    for (const unsigned of [true, false]) {
      for (const v of [...VALUES, ...VALUES.map((x) => -x)]) {
        const want = LongJs.fromString(BigInt[unsigned ? 'asUintN' : 'asIntN'](64, v).toString(), unsigned);
        const got = Long.fromValue(v, unsigned);
        assert.deepEqual([got.low, got.high, got.unsigned], [want.low, want.high, want.unsigned], `${v} unsigned=${unsigned}`);
        assert.equal(got.toString(), want.toString());
        assert.equal(got.toNumber(), want.toNumber());
        assert.equal(Long.fromBits(want.low, want.high, unsigned).toBigInt(), BigInt(want.toString()));
        assert.equal(Long.fromValue(want.toString(), unsigned).toString(), want.toString());
        assert.equal(Long.fromValue({ low: want.low, high: want.high, unsigned }).toString(), want.toString());
      }
    }
    assert.equal(Long.fromValue(42.9, true).toBigInt(), 42n);
    assert.ok(Long.isLong(Long.fromBits(1, 2)) && !Long.isLong({ low: 1, high: 2 }));
    assert.throws(() => Long.fromString('ff', true, 16), /radix 16/);
  });

  it('carries the shim messages through protobufjs exactly', (t) => {
    const util = $pb.util as unknown as { Long: unknown };
    const before = util.Long;
    util.Long = Long;
    $pb.configure();
    t.after(() => {
      util.Long = before;
      $pb.configure();
    });
    for (const v of VALUES) {
      const ev = decode<{ seq: bigint; timestamp: bigint; exitedAt: bigint }>('tsrun.shim.v1.Event', encode('tsrun.shim.v1.Event', { seq: v, timestamp: v, exitedAt: v, topic: '/tasks/exit' }));
      assert.deepEqual([ev.seq, ev.timestamp, ev.exitedAt], [v, v, v]);
    }
    const empty = decode<{ exitedAt: bigint }>('tsrun.shim.v1.ExitStatus', encode('tsrun.shim.v1.ExitStatus', {}));
    assert.equal(empty.exitedAt, 0n);
  });

  it('replaces long.js in the compiled Bun program', (t) => {
    const program = path.join(TOP, 'dist/bun/tsrun');
    if (!fs.existsSync(program)) return t.skip('no compiled program (Bun is not installed)');
    const text = fs.readFileSync(program, 'latin1'); // Bun's runtime with the bundled sources inside
    assert.ok(!text.includes('get_high'), 'long.js (it reads its WebAssembly results with get_high) is not in it');
    assert.ok(text.includes('fromBigInt'), 'the BigInt Long is');
  });
});
