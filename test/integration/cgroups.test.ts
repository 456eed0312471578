// cgroups on the real host (root): a test cgroup in every hierarchy, joined by a real process, removed again; and
// the cgroup2 core files (procs, events, freeze, kill) later issues rely on, in the unified hierarchy (at
// /sys/fs/cgroup/unified in hybrid mode). Touches only the cgroups and processes it creates.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { detect, parseProcCgroup } from '../../runtime/src/cgroups/detect.js';
import { cgroupManager, UNIFIED, type CgroupManager } from '../../runtime/src/cgroups/manager.js';

const notRoot = process.getuid?.() !== 0 ? 'not root' : false;
const id = `tsrun-test-${randomBytes(4).toString('hex')}`;
const managers: CgroupManager[] = [];
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
  for (const m of managers) await m.destroy().catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
});

function track(m: CgroupManager): CgroupManager {
  managers.push(m);
  return m;
}

async function start(cmd: string, args: string[], opts: { stdin?: boolean } = {}): Promise<ChildProcess & { pid: number }> {
  const child = spawn(cmd, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'ignore'] });
  children.push(child);
  await once(child, 'spawn');
  if (child.pid === undefined) throw new Error(`${cmd} has no pid`);
  return child as ChildProcess & { pid: number };
}

async function waitFor(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
}

const read = (p: string): string => fs.readFileSync(p, 'utf8');

describe('cgroups on this host', { skip: notRoot }, () => {
  const host = notRoot ? undefined : detect();

  it('places a process in every hierarchy and removes every directory again', async () => {
    assert.ok(host);
    const m = track(cgroupManager(`/${id}`, id, host));
    const dirs = [...new Set(Object.values(m.paths()))];
    await m.create();
    for (const d of dirs) assert.ok(fs.statSync(d).isDirectory(), d);
    if (host.mode === 'v1') {
      assert.equal(dirs.length, host.mounts.length + (host.unified ? 1 : 0));
      if (host.unified) assert.equal(m.paths()[UNIFIED], path.join(host.unified.mountPoint, id));
    }

    const sleeper = await start('sleep', ['30']);
    m.join(sleeper.pid);
    const seen = parseProcCgroup(read(`/proc/${sleeper.pid}/cgroup`));
    const names = host.mode === 'v1' ? [...host.mounts.flatMap((mt) => mt.controllers), ...(host.unified ? [''] : [])] : [''];
    for (const name of names) assert.equal(seen[name], `/${id}`, `hierarchy ${name || 'cgroup2'} in /proc/${sleeper.pid}/cgroup`);
    for (const f of m.procsFiles()) assert.deepEqual(read(f).trim().split('\n'), [String(sleeper.pid)], f);
    assert.deepEqual(m.pids(), [sleeper.pid]);

    sleeper.kill('SIGKILL');
    await once(sleeper, 'exit');
    await m.destroy();
    for (const d of dirs) assert.ok(!fs.existsSync(d), `${d} removed`);
  });

  it('makes nested levels (cpuset filled in) and removes only those it made', async () => {
    assert.ok(host);
    const m = track(cgroupManager(`/${id}-n/a/c1`, id, host));
    await m.create();
    assert.equal(m.createdDirs().length, 3 * new Set(Object.values(m.paths())).size);
    const cpuset = m.paths().cpuset;
    if (cpuset) {
      const rootOf = (f: string): string => read(path.join(host.mode === 'v1' ? host.hierarchies.cpuset ?? '' : '', f)).trim();
      for (const lvl of [cpuset, path.dirname(cpuset), path.dirname(path.dirname(cpuset))]) {
        assert.equal(read(path.join(lvl, 'cpuset.cpus')).trim(), rootOf('cpuset.cpus'), lvl);
        assert.equal(read(path.join(lvl, 'cpuset.mems')).trim(), rootOf('cpuset.mems'), lvl);
      }
    }
    const sleeper = await start('sleep', ['30']);
    m.join(sleeper.pid);
    sleeper.kill('SIGKILL');
    // No wait for the exit: destroy retries while the killed process leaves its cgroups.
    await m.destroy();
    for (const d of m.createdDirs()) assert.fail(`${d} left behind`);
    for (const d of new Set(Object.values(m.paths()))) assert.ok(!fs.existsSync(path.dirname(path.dirname(d))), `${d}'s top level removed`);
  });

  it('cgroup2 core files work: cgroup.procs, cgroup.events, cgroup.freeze, cgroup.kill', async (t) => {
    assert.ok(host);
    if (host.mode === 'v1' && !host.unified) return t.skip('no cgroup2 hierarchy mounted');
    const m = track(cgroupManager(`/${id}-core`, id, host));
    await m.create();
    const dir = m.paths()[UNIFIED];
    assert.ok(dir);
    const events = (): Record<string, string> =>
      Object.fromEntries(read(path.join(dir, 'cgroup.events')).trim().split('\n').map((l) => l.split(' ') as [string, string]));
    assert.equal(events().populated, '0');

    // The counter waits for a line on stdin, so it (and every sleep it forks) starts inside the cgroup.
    const counter = await start('sh', ['-c', 'read go; i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done'], { stdin: true });
    let count = 0;
    counter.stdout?.on('data', (b: Buffer) => { count += b.toString().split('\n').length - 1; });
    m.join(counter.pid);
    assert.ok(read(path.join(dir, 'cgroup.procs')).split('\n').includes(String(counter.pid)));
    counter.stdin?.write('go\n');
    await waitFor('populated 1', () => events().populated === '1');
    await waitFor('the counter to count', () => count > 3);

    fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '1');
    await waitFor('frozen 1', () => events().frozen === '1');
    await sleep(50);
    const frozenAt = count;
    await sleep(300);
    assert.equal(count, frozenAt, 'a frozen counter stops');
    fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '0');
    await waitFor('frozen 0', () => events().frozen === '0');
    await waitFor('the counter to go on', () => count > frozenAt + 3);

    fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    const [, signal] = (await once(counter, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL');
    await waitFor('populated 0', () => events().populated === '0');
    assert.deepEqual(m.pids(), []);
    await m.destroy();
    assert.ok(!fs.existsSync(dir));
  });
});
