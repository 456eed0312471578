import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { opWords } from '../../runtime/src/plan/ops.js';
import { MessageReader, decodeWords, encodeWords } from '../../runtime/src/plan/wire.js';
import { parseSignal } from '../../runtime/src/container/signals.js';

describe('wire framing', () => {
  it('round-trips words, including empty, binary-ish and multi-byte ones', () => {
    const words = ['mount', '', 'a,b:c', 'ü ✓', '0'];
    const enc = encodeWords(words);
    assert.equal(enc.toString().slice(0, 3), '32:'); // 8 + 3 + 8 + 9 (ü is 2 bytes, ✓ 3) + 4
    const r = new MessageReader();
    // fed one byte at a time: messages only come out whole
    const out: string[][] = [];
    for (const b of Buffer.concat([enc, enc])) out.push(...r.push(Buffer.from([b])));
    assert.deepEqual(out, [words, words]);
    assert.equal(r.pending, 0);
  });

  it('rejects malformed input instead of waiting forever', () => {
    assert.throws(() => new MessageReader().push(Buffer.from('x:')), /malformed netstring length/);
    assert.throws(() => decodeWords(Buffer.from('3:abc;')), /missing trailing comma/);
  });

  it('encodes op fields in the documented order', () => {
    assert.deepEqual(opWords({ op: 'hook', kind: 'createContainer', path: '/h', args: ['h', 'x'], env: ['A=1'], timeout: 3 }), ['hook', 'createContainer', '/h', '3', '2', 'h', 'x', 'A=1']);
    assert.deepEqual(opWords({ op: 'exec', args: ['sh', '-c', 'true'], env: [] }), ['exec', '3', 'sh', '-c', 'true']);
  });
});

describe('signals', () => {
  it('accepts names with and without SIG and numbers', () => {
    assert.equal(parseSignal('KILL'), 9);
    assert.equal(parseSignal('SIGKILL'), 9);
    assert.equal(parseSignal('9'), 9);
    assert.equal(parseSignal('term'), 15);
    assert.equal(parseSignal('SIGRTMIN+2'), 36);
    assert.throws(() => parseSignal('SIGNOPE'), /unknown signal "SIGNOPE"/);
    assert.throws(() => parseSignal('99'), /unknown signal "99"/);
  });
});
