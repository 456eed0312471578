// The event journal, the process table's early exits, exit statuses and the runtime's log messages (no root).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Event } from '../../shim/src/api.js';
import { Journal, readJournal } from '../../shim/src/journal.js';
import { memoryCgroup } from '../../shim/src/oom.js';
import { Processes, newProc } from '../../shim/src/processes.js';
import { lastLogMessage } from '../../shim/src/runtime.js';
import { exitStatus } from '../../shim/src/sys.js';
import { fullStdio } from '../../shim/src/task.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-shim-unit-'));

describe('shim journal', () => {
  it('numbers events from 1 without gaps, replays after a seq, then follows live, and survives a reopen', () => {
    const dir = tmp();
    const file = path.join(dir, 'events.log');
    const j = new Journal(file, { namespace: 'ns', containerId: 'c' });
    j.record({ topic: '/tasks/create', pid: 10 });
    j.record({ topic: '/tasks/start', pid: 10 });
    const seen: Event[] = [];
    const stop = j.follow(1n, (e) => seen.push(e));
    j.record({ topic: '/tasks/exit', pid: 10, exitStatus: 137, exitedAt: 5n });
    stop();
    j.record({ topic: '/tasks/delete' });
    assert.deepEqual(seen.map((e) => [e.seq, e.topic]), [[2n, '/tasks/start'], [3n, '/tasks/exit']]);
    assert.equal(seen[1]?.exitedAt, 5n);
    assert.equal(seen[1]?.containerId, 'c');
    j.close();
    fs.appendFileSync(file, '{"seq":"5","topic":"/tasks/ex'); // torn by a crash
    const again = new Journal(file, { namespace: 'ns', containerId: 'c' });
    assert.equal(again.record({ topic: '/tasks/oom' }).seq, 5n);
    again.close();
    assert.deepEqual(readJournal(file).map((e) => e.seq), [1n, 2n, 3n, 4n, 5n]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('shim process table', () => {
  it('keeps the exit of a pid that is not registered yet and hands it over at registration', () => {
    const t = new Processes();
    const p = newProc('e1', fullStdio(undefined), '/x.log');
    t.execs.set('e1', p);
    assert.equal(t.claim(42, { status: 3, at: 1n }), undefined);
    assert.deepEqual(t.register(p, 42), { status: 3, at: 1n });
    const q = newProc('e2', fullStdio(undefined), '/y.log');
    assert.equal(t.register(q, 43), undefined);
    assert.equal(t.claim(43, { status: 0, at: 2n }), q);
    assert.throws(() => t.get('nope'), /exec "nope" not found/);
  });
});

describe('shim helpers', () => {
  it('exit statuses: the code, or 128 + signal', () => {
    assert.equal(exitStatus(3 << 8), 3);
    assert.equal(exitStatus(9), 137);
    assert.equal(exitStatus(15 | 0x80), 143); // core dumped
  });

  it("takes the runtime's last JSON log message", () => {
    const dir = tmp();
    const f = path.join(dir, 'log.json');
    fs.writeFileSync(f, '{"level":"info","msg":"first"}\n{"level":"error","msg":"container not running"}\nnot json\n');
    assert.equal(lastLogMessage(f), 'container not running');
    assert.equal(lastLogMessage(path.join(dir, 'none')), undefined);
    fs.rmSync(dir, { recursive: true });
  });

  it("finds the container's memory cgroup: v1 memory controller first, else v2 with memory.events", () => {
    const mountinfo = '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n';
    const files: Record<string, string> = { '/proc/self/mountinfo': mountinfo, '/proc/7/cgroup': '5:memory:/tsrun/c\n0::/tsrun/c\n', '/proc/8/cgroup': '0::/tsrun/c\n' };
    const read = (p: string) => files[p] ?? '';
    assert.deepEqual(memoryCgroup(7, read), { version: 1, dir: '/sys/fs/cgroup/memory/tsrun/c' });
    assert.equal(memoryCgroup(8, read), undefined, 'no memory.events in that v2 dir');
  });
});
