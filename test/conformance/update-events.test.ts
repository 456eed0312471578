// update (runc 1.1's flags and -r JSON) and events (--stats, the stats loop, OOM events) on a live container.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { makeBundle, needRoot, procCgroups, rt, stateOf } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

/** A cgroup file of the container's init, for controller `ctrl` (v1 hierarchy; v2 the unified dir), read on the host. */
function cgroupFile(pid: number, ctrl: string, v1File: string, v2File: string): string {
  const lines = procCgroups(pid).map((l) => l.split(':'));
  const v1 = lines.find(([, names]) => names?.split(',').includes(ctrl));
  if (v1) return path.join('/sys/fs/cgroup', ctrl, v1.slice(2).join(':'), v1File);
  const v2 = lines.find(([n]) => n === '0');
  if (!v2) throw new Error(`no ${ctrl} cgroup for ${pid}`);
  return path.join('/sys/fs/cgroup', v2.slice(2).join(':'), v2File);
}

const readTrim = (file: string): string => fs.readFileSync(file, 'utf8').trim();
const memLimit = (pid: number): string => readTrim(cgroupFile(pid, 'memory', 'memory.limit_in_bytes', 'memory.max'));
const pidsMax = (pid: number): string => readTrim(cgroupFile(pid, 'pids', 'pids.max', 'pids.max'));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (cond()) return;
  assert.fail(`timed out waiting for ${what}`);
}

for (const r of runtimes()) {
  describe(`update and events: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const bundle = (script: string, edit?: Parameters<typeof makeBundle>[1]) => {
      const b = makeBundle(script, edit);
      bundles.push(b);
      return b;
    };
    const running = (script: string, edit?: Parameters<typeof makeBundle>[1]): { c: string; pid: number; b: ReturnType<typeof bundle> } => {
      const b = bundle(script, (s) => {
        if (s.root) s.root.readonly = false;
        edit?.(s);
      });
      const c = uniqueId('upd');
      const res = rt(r, ['run', '-d', '-b', b.dir, c]);
      assert.equal(res.status, 0, res.err);
      return { c, pid: stateOf(r, c).pid, b };
    };

    it('update --memory 64m --pids-limit 20 changes the limits on the host', () => {
      const { c, pid } = running('sleep 1000');
      const u = rt(r, ['update', '--memory', '64m', '--pids-limit', '20', c]);
      assert.equal(u.status, 0, u.err);
      assert.equal(memLimit(pid), String(64 * 1024 * 1024));
      assert.equal(pidsMax(pid), '20');
      assert.equal(rt(r, ['delete', '-f', c]).status, 0);
    });

    it('a pids limit of 5 set by update refuses fork inside the container', async () => {
      const { c, pid, b } = running('while [ ! -e /tmp/go ]; do sleep 0.1; done; sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 100 & done; echo spawned" >/tmp/out 2>/tmp/err; echo $? >/tmp/rc; sleep 1000');
      const u = rt(r, ['update', '--pids-limit', '5', c]);
      assert.equal(u.status, 0, u.err);
      assert.equal(pidsMax(pid), '5');
      fs.writeFileSync(path.join(b.rootfs, 'tmp', 'go'), '');
      const rcFile = path.join(b.rootfs, 'tmp', 'rc');
      await until('the fork loop to finish', () => fs.existsSync(rcFile) && readTrim(rcFile) !== '');
      const err = fs.readFileSync(path.join(b.rootfs, 'tmp', 'err'), 'utf8');
      const out = fs.readFileSync(path.join(b.rootfs, 'tmp', 'out'), 'utf8');
      assert.ok(readTrim(rcFile) !== '0' || /fork|resource temporarily unavailable/i.test(err), `fork must fail: rc ${readTrim(rcFile)}, out ${out}, err ${err}`);
      assert.match(err, /fork|resource temporarily unavailable/i);
      assert.equal(rt(r, ['delete', '-f', c]).status, 0);
    });

    it('update -r - takes LinuxResources JSON on stdin; malformed JSON fails and changes nothing', () => {
      const { c, pid } = running('sleep 1000');
      const u = rt(r, ['update', '-r', '-', c], { input: JSON.stringify({ memory: { limit: 32 * 1024 * 1024 }, pids: { limit: 30 } }) });
      assert.equal(u.status, 0, u.err);
      assert.equal(memLimit(pid), String(32 * 1024 * 1024));
      assert.equal(pidsMax(pid), '30');
      for (const bad of ['{"memory":{"limit":"64m"}}', '{"pids":{"limit":', '{"pids":{"limit":7},"memory":{"limit":"x"}}']) {
        const f = rt(r, ['update', '-r', '-', c], { input: bad });
        assert.notEqual(f.status, 0, `${bad} must fail`);
        if (r.name.startsWith('tsrun')) assert.equal(f.err.trim().split('\n').length, 1, f.err);
        assert.equal(memLimit(pid), String(32 * 1024 * 1024), bad);
        assert.equal(pidsMax(pid), '30', bad);
      }
      assert.equal(rt(r, ['delete', '-f', c]).status, 0);
    });

    it('update of a stopped or unknown container fails', async () => {
      const { c } = running('true');
      await until('the container to stop', () => stateOf(r, c).status === 'stopped');
      const u = rt(r, ['update', '--memory', '64m', c]);
      assert.notEqual(u.status, 0);
      assert.ok(u.err.trim() !== '');
      assert.notEqual(rt(r, ['update', '--memory', '64m', uniqueId('nosuch')]).status, 0);
      assert.equal(rt(r, ['delete', c]).status, 0);
    });

    it('events --stats prints one stats event read from the cgroup', () => {
      const { c } = running('sleep 1000');
      const e = rt(r, ['events', '--stats', c]);
      assert.equal(e.status, 0, e.err);
      const lines = e.out.trim().split('\n');
      assert.equal(lines.length, 1, e.out);
      const doc = JSON.parse(lines[0] as string);
      assert.equal(doc.type, 'stats');
      assert.equal(doc.id, c);
      assert.ok(doc.data.memory.usage.usage > 0, JSON.stringify(doc.data.memory.usage));
      assert.ok(doc.data.pids.current >= 1, JSON.stringify(doc.data.pids));
      assert.ok(doc.data.cpu.usage.total > 0, JSON.stringify(doc.data.cpu));
      assert.equal(rt(r, ['delete', '-f', c]).status, 0);
    });

    it('events reports stats every interval and an oom event when the memory cgroup OOM-kills', async () => {
      const b = bundle('tail /dev/zero; sleep 1000', (s) => {
        s.linux = { ...(s.linux ?? {}), resources: { ...(s.linux?.resources ?? {}), memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } } } as typeof s.linux;
      });
      const c = uniqueId('oom');
      const cr = rt(r, ['create', '-b', b.dir, c]);
      assert.equal(cr.status, 0, cr.err);
      const ev = spawn(r.bin, ['--root', r.root, 'events', '--interval', '500ms', c], { env: r.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
      ev.stderr.on('data', (d: Buffer) => (err += d.toString()));
      try {
        await sleep(300);
        const st = rt(r, ['start', c]);
        assert.equal(st.status, 0, st.err);
        await until('an oom event', () => out.includes('"type":"oom"'), 20_000).catch(() => assert.fail(`no oom event: out ${out.slice(0, 300)} err ${err}`));
        await until('a stats event', () => out.includes('"type":"stats"'), 5_000);
        const events = out.trim().split('\n').map((l) => JSON.parse(l));
        assert.ok(events.some((e) => e.type === 'oom' && e.id === c && e.data === undefined), out);
        assert.ok(events.some((e) => e.type === 'stats' && e.id === c), out);
      } finally {
        ev.kill('SIGKILL');
        rt(r, ['delete', '-f', c]);
      }
    });

    if (r.name.startsWith('tsrun')) {
      it('events exits when the container is gone; refuses a stopped container', async () => {
        const { c } = running('sleep 1');
        const ev = spawn(r.bin, ['--root', r.root, 'events', '--interval', '200ms', c], { env: r.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const code = await new Promise<number | null>((resolve) => {
          const t = setTimeout(() => {
            ev.kill('SIGKILL');
            resolve(null);
          }, 10_000);
          ev.on('exit', (n) => {
            clearTimeout(t);
            resolve(n);
          });
        });
        assert.equal(code, 0, 'events exits by itself once the container stops');
        assert.ok(out.includes('"type":"stats"'), out);
        const again = rt(r, ['events', '--stats', c]);
        assert.notEqual(again.status, 0);
        assert.match(again.err, /not running/);
        assert.equal(rt(r, ['delete', c]).status, 0);
      });
    }
  });
}
