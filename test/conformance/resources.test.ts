// linux.resources at create, seen from the host's cgroup files and in their effect inside the container.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import type { Spec } from '../../runtime/src/config/spec.js';
import { makeBundle, needRoot, procCgroups, rt, stateOf } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

/** The host directory of a pid's cgroup in a v1 hierarchy (this machine is v1 hybrid). */
function v1Dir(pid: number, controller: string): string {
  const line = procCgroups(pid).map((l) => l.split(':')).find(([, names]) => names?.split(',').includes(controller));
  if (!line) throw new Error(`no ${controller} cgroup for ${pid}`);
  const mount = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[8] === 'cgroup' && f[f.length - 1]?.split(',').includes(controller));
  const root = mount?.[3] ?? '/';
  const rel = (line[2] ?? '/').slice(root === '/' ? 0 : root.length);
  return `${mount?.[4]}${rel}`;
}

const read = (dir: string, file: string) => fs.readFileSync(`${dir}/${file}`, 'utf8').trim();

for (const r of runtimes()) {
  describe(`resources: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const start = (script: string, edit: (s: Spec) => void) => {
      const b = makeBundle(script, edit);
      bundles.push(b);
      const id = uniqueId('res');
      const res = rt(r, ['run', '-d', '-b', b.dir, id]);
      assert.equal(res.status, 0, res.err);
      return { id, pid: stateOf(r, id).pid };
    };

    it('writes cpu, cpuset, memory and pids limits to the host cgroup files', () => {
      const { id, pid } = start('sleep 1000', (s) => {
        if (s.linux) s.linux.resources = { cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0', mems: '0' }, memory: { limit: 64 << 20, reservation: 32 << 20 }, pids: { limit: 50 } };
      });
      assert.equal(read(v1Dir(pid, 'cpu'), 'cpu.shares'), '512');
      assert.equal(read(v1Dir(pid, 'cpu'), 'cpu.cfs_quota_us'), '20000');
      assert.equal(read(v1Dir(pid, 'cpu'), 'cpu.cfs_period_us'), '100000');
      assert.equal(read(v1Dir(pid, 'cpuset'), 'cpuset.cpus'), '0');
      assert.equal(read(v1Dir(pid, 'memory'), 'memory.limit_in_bytes'), String(64 << 20));
      assert.equal(read(v1Dir(pid, 'memory'), 'memory.soft_limit_in_bytes'), String(32 << 20));
      assert.equal(read(v1Dir(pid, 'pids'), 'pids.max'), '50');
      assert.equal(rt(r, ['delete', '-f', id]).status, 0);
    });

    it('a cpu quota throttles a busy loop (the kernel counts the throttled periods)', async () => {
      const { id, pid } = start('while :; do :; done', (s) => {
        if (s.linux) s.linux.resources = { cpu: { quota: 10000, period: 100000 } };
      });
      const dir = v1Dir(pid, 'cpu');
      const throttled = () => Number(/nr_throttled (\d+)/.exec(read(dir, 'cpu.stat'))?.[1] ?? 0);
      for (let i = 0; i < 100 && throttled() < 3; i++) await new Promise((res) => setTimeout(res, 20));
      assert.ok(throttled() >= 3, `nr_throttled ${throttled()}`);
      assert.equal(rt(r, ['delete', '-f', id]).status, 0);
    });

    it('a memory limit OOM-kills a process that outgrows it', async () => {
      const { id, pid } = start('tail /dev/zero; echo survived; sleep 1000', (s) => {
        if (s.linux) s.linux.resources = { memory: { limit: 16 << 20 } };
      });
      const dir = v1Dir(pid, 'memory');
      const kills = () => Number(/oom_kill (\d+)/.exec(read(dir, 'memory.oom_control'))?.[1] ?? 0);
      for (let i = 0; i < 250 && kills() < 1; i++) await new Promise((res) => setTimeout(res, 20));
      assert.ok(kills() >= 1, 'memory.oom_control counts the kill');
      assert.equal(rt(r, ['delete', '-f', id]).status, 0);
    });
  });
}
