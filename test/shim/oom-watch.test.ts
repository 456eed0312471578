// The cgroup v2 OOM watch on a memory.events file in a temp dir (this host's cgroup2 has no memory controller, so
// the integration test covers v1 only). No root needed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { oomKills, watchOom } from '../../shim/src/oom.js';
import type { Sys } from '../../shim/src/sys.js';

const noSys = {} as Sys; // v2 needs no syscalls beyond inotify (fs.watch)

describe('OOM watch, cgroup v2', () => {
  it('calls back when oom_kill grows, not for other changes, and stops when asked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-oom-'));
    const events = path.join(dir, 'memory.events');
    const write = (oom: number, high = 0) => fs.writeFileSync(events, `low 0\nhigh ${high}\nmax 0\noom ${oom}\noom_kill ${oom}\n`);
    write(0);
    let calls = 0;
    let wake: () => void = () => {};
    const stop = watchOom({ version: 2, dir }, noSys, () => (calls++, wake()), () => {});
    const next = () => new Promise<void>((r) => (wake = r));
    write(0, 5); // "high" changed: not an OOM kill
    let got = next();
    write(1);
    await got;
    assert.equal(calls, 1);
    assert.equal(oomKills({ version: 2, dir }), 1);
    got = next();
    write(2);
    await got;
    assert.equal(calls, 2);
    stop();
    write(3);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 2, 'nothing after stop');
    fs.rmSync(dir, { recursive: true });
  });
});
