// The shim's CRI log (shim/src/io/log.ts, logread.ts): the line format, partial lines, rotation, and reading back
// exactly the bytes that were written. No root, no processes: a LogWriter on a temp dir.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Clock, LogWriter, formatChunk, rfc3339Nano } from '../../shim/src/io/log.js';
import { logFiles, parseLog, readLog, reassemble } from '../../shim/src/io/logread.js';

const TS = '2024-05-01T10:00:00.000000001Z';
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-shimlog-'));
  dirs.push(d);
  return d;
}

describe('CRI log format', () => {
  it('writes one F entry per whole line and a P entry for a trailing piece', () => {
    const out = formatChunk('stdout', Buffer.from('one\n\nthree\npie'), TS).toString();
    assert.equal(out, `${TS} stdout F one\n${TS} stdout F \n${TS} stdout F three\n${TS} stdout P pie\n`);
    assert.equal(formatChunk('stderr', Buffer.from('x\n'), TS).toString(), `${TS} stderr F x\n`);
    assert.equal(formatChunk('stderr', Buffer.alloc(0), TS).length, 0);
  });

  it('keeps \\r and any other byte in the text, only \\n ends a line', () => {
    const chunk = Buffer.from([0x61, 0x0d, 0x00, 0xff, 0x0a, 0x20, 0x20]);
    const { entries } = parseLog(formatChunk('stdout', chunk, TS));
    assert.deepEqual(entries.map((e) => [e.partial, [...e.text]]), [[false, [0x61, 0x0d, 0x00, 0xff]], [true, [0x20, 0x20]]]);
  });

  it('timestamps are RFC 3339 with nine fraction digits in UTC', () => {
    assert.equal(rfc3339Nano(1_714_557_600_000_000_001n), '2024-05-01T10:00:00.000000001Z');
    assert.equal(rfc3339Nano(1_714_557_601_123_456_789n), '2024-05-01T10:00:01.123456789Z');
    const now = new Clock().nowNs();
    const t = rfc3339Nano(now);
    assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.ok(Math.abs(Date.parse(t) - Date.now()) < 60_000, `${t} is about now`);
  });

  it('parses entries and leaves an unfinished last line for later', () => {
    const buf = Buffer.from(`${TS} stdout F a\n${TS} stderr P b\n${TS} stdout F c`);
    const { entries, used } = parseLog(buf);
    assert.equal(entries.length, 2);
    assert.equal(used, buf.indexOf('c') - `${TS} stdout F `.length);
    assert.deepEqual(entries[1], { time: TS, stream: 'stderr', partial: true, text: Buffer.from('b') });
  });

  it('reads a tag with fields after a colon, as kubelet does', () => {
    const { entries } = parseLog(Buffer.from(`${TS} stdout P:x text\n`));
    assert.equal(entries[0]?.partial, true);
    assert.equal(entries[0]?.text.toString(), 'text');
  });

  it('names the file and byte of a line that is not CRI', () => {
    assert.throws(() => parseLog(Buffer.from(`${TS} stdout F ok\ngarbage\n`), 'x.log'), /^Error: x\.log: bad log line at byte \d+ \(no stream\): "garbage"$/);
    assert.throws(() => parseLog(Buffer.from(`${TS} stdin F x\n`), 'x.log'), /stream "stdin"/);
    assert.throws(() => parseLog(Buffer.from(`${TS} stdout Q x\n`), 'x.log'), /tag "Q"/);
  });

  it('reassembles each stream exactly, whatever the chunking', () => {
    const data = { stdout: randomBytes(200_000), stderr: Buffer.from('no newline at all') };
    // random newlines so that lines of every length occur
    for (let i = 0; i < data.stdout.length; i += 1 + (data.stdout[i] as number) % 300) data.stdout[i] = 10;
    const pieces: Buffer[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      for (let o = 0; o < data[stream].length; ) {
        const n = 1 + Math.floor(Math.random() * 70_000);
        pieces.push(formatChunk(stream, data[stream].subarray(o, o + n), TS));
        o += n;
      }
    }
    const got = reassemble(parseLog(Buffer.concat(pieces)).entries);
    assert.ok(got.stdout.equals(data.stdout), 'stdout byte-exact');
    assert.ok(got.stderr.equals(data.stderr), 'stderr byte-exact');
  });
});

describe('LogWriter', () => {
  it('appends to an existing log and reads back through readLog', () => {
    const p = path.join(tmp(), 'c.log');
    fs.writeFileSync(p, `${TS} stdout F before\n`);
    const w = new LogWriter({ path: p, maxSize: 0, maxFiles: 1 });
    w.write('stdout', Buffer.from('a\nb'));
    w.write('stderr', Buffer.from('e\n'));
    w.write('stdout', Buffer.from('c\n'));
    w.close();
    const got = readLog(p);
    assert.equal(got.stdout.toString(), 'before\na\nbc\n');
    assert.equal(got.stderr.toString(), 'e\n');
    assert.equal(w.error, undefined);
  });

  it('rotates by size, keeps maxFiles old files, and the kept files read back in order', () => {
    const p = path.join(tmp(), 'c.log');
    const w = new LogWriter({ path: p, maxSize: 1000, maxFiles: 2 });
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      const line = `line ${i} ${'x'.repeat(i % 50)}\n`;
      lines.push(line);
      w.write('stdout', Buffer.from(line));
    }
    w.close();
    assert.deepEqual(logFiles(p), [`${p}.2`, `${p}.1`, p]);
    assert.equal((fs.statSync(p).mode & 0o777).toString(8), '640', 'a new log file is 0640, as kubelet\'s');
    assert.ok(!fs.existsSync(`${p}.3`), 'no more than maxFiles old files');
    for (const f of logFiles(p)) assert.ok(fs.statSync(f).size <= 1000, `${f} within maxSize`);
    const kept = readLog(p).stdout.toString();
    assert.ok(kept.length > 0 && lines.join('').endsWith(kept), 'the newest output, contiguous');
    assert.ok(kept.startsWith('line '), 'rotation happens between entries');
  });

  it('with maxFiles 0 keeps only the current file', () => {
    const p = path.join(tmp(), 'c.log');
    const w = new LogWriter({ path: p, maxSize: 200, maxFiles: 0 });
    for (let i = 0; i < 20; i++) w.write('stderr', Buffer.from(`${i}: ${'y'.repeat(40)}\n`));
    w.close();
    assert.deepEqual(logFiles(p), [p]);
    assert.match(readLog(p).stderr.toString(), /^\d+: y+\n/);
  });

  it('a chunk bigger than maxSize gets a file of its own', () => {
    const p = path.join(tmp(), 'c.log');
    const w = new LogWriter({ path: p, maxSize: 100, maxFiles: 3 });
    w.write('stdout', Buffer.from('small\n'));
    w.write('stdout', Buffer.from(`${'z'.repeat(500)}\n`));
    w.write('stdout', Buffer.from('next\n'));
    w.close();
    assert.equal(readLog(p).stdout.toString(), `small\n${'z'.repeat(500)}\nnext\n`);
    assert.equal(logFiles(p).length, 3);
  });

  it('fails to open with the path in the message', () => {
    assert.throws(() => new LogWriter({ path: '/nonexistent-dir/x.log', maxSize: 0, maxFiles: 1 }), /ENOENT.*\/nonexistent-dir\/x\.log/);
  });
});
