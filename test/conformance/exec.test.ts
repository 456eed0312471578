// exec: a new process inside a running (or created) container, on every runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listenConsole } from '../../runtime/src/linux/console.js';
import { type Bundle, makeBundle, needRoot, procCgroups, rt, stateOf, readPty, alive } from '../helpers/bundle.js';
import { cleanup, runtimes, uniqueId } from './runtimes.js';

for (const r of runtimes()) {
  describe(`exec: ${r.name}`, { skip: needRoot }, () => {
    const { bundles } = cleanup(r);
    const id = uniqueId('exec');
    let b: Bundle;
    let initPid = 0;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-exec-'));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    before(() => {
      b = makeBundle('sleep 1000', (s) => {
        if (s.process) s.process.cwd = '/tmp';
      });
      bundles.push(b);
      const res = rt(r, ['run', '-d', '-b', b.dir, id]);
      assert.equal(res.status, 0, res.err);
      initPid = stateOf(r, id).pid;
    });

    const exec = (args: string[]) => rt(r, ['exec', ...args]);

    it("is in the container's pid namespace, with the init as pid 1", () => {
      const res = exec([id, 'sh', '-c', 'readlink /proc/self/ns/pid; cat /proc/1/cmdline | tr "\\0" " "; echo; ls /proc | grep -c "^[0-9]"']);
      assert.equal(res.status, 0, res.err);
      const [ns, cmdline] = res.out.split('\n');
      assert.equal(ns, fs.readlinkSync(`/proc/${initPid}/ns/pid`));
      assert.equal(cmdline?.trim(), 'sleep 1000');
      for (const n of ['mnt', 'uts', 'ipc', 'net']) assert.notEqual(fs.readlinkSync(`/proc/${initPid}/ns/${n}`), fs.readlinkSync(`/proc/self/ns/${n}`));
      const res2 = exec([id, 'sh', '-c', 'for n in mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; hostname']);
      assert.equal(res2.status, 0, res2.err);
      assert.deepEqual(res2.out.trim().split('\n').slice(0, 5), ['mnt', 'uts', 'ipc', 'net', 'cgroup'].map((n) => fs.readlinkSync(`/proc/${initPid}/ns/${n}`)));
    });

    it("runs in the config's cwd, or --cwd", () => {
      assert.equal(exec([id, 'pwd']).out, '/tmp\n');
      assert.equal(exec(['--cwd', '/etc', id, 'pwd']).out, '/etc\n');
    });

    it("leaves the program's own flags alone: they follow the container id", () => {
      const res = exec([id, 'ls', '-la', '-d', '/etc']);
      assert.equal(res.status, 0, res.err);
      assert.match(res.out, /^d\S+\s+\d+ root\s+root\s+.* \/etc\n$/);
    });

    it('adds -e to the environment and switches user with -u', () => {
      const res = exec(['-e', 'FOO=bar', '-e', 'TERM=dumb', '-u', '1000:1000', id, 'sh', '-c', 'echo $FOO $TERM; id -u; id -g']);
      assert.equal(res.status, 0, res.err);
      assert.equal(res.out, 'bar dumb\n1000\n1000\n');
    });

    it('passes the exit code through, 128+n for a signal', () => {
      assert.equal(exec([id, 'sh', '-c', 'exit 7']).status, 7);
      assert.equal(exec([id, 'sh', '-c', 'kill -9 $$']).status, 137);
    });

    it("runs detached with --pid-file, in the container's cgroups", () => {
      const pidFile = path.join(tmp, 'exec.pid');
      const res = exec(['-d', '--pid-file', pidFile, id, 'sleep', '100']);
      assert.equal(res.status, 0, res.err);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(pid > 0 && alive(pid), `pid ${pid} alive`);
      assert.deepEqual(procCgroups(pid), procCgroups(initPid));
      assert.equal(fs.readlinkSync(`/proc/${pid}/ns/pid`), fs.readlinkSync(`/proc/${initPid}/ns/pid`));
      process.kill(pid, 'SIGKILL');
    });

    it('runs a process.json with -p', () => {
      const file = path.join(tmp, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'echo $X; pwd; id -u'], cwd: '/etc', env: ['PATH=/bin:/usr/bin', 'X=fromjson'], user: { uid: 1000, gid: 1000 } }));
      const res = exec(['-p', file, id]);
      assert.equal(res.status, 0, res.err);
      assert.equal(res.out, 'fromjson\n/etc\n1000\n');
    });

    it('refuses a process.json without args and leaves the container running', () => {
      const file = path.join(tmp, 'noargs.json');
      fs.writeFileSync(file, JSON.stringify({ cwd: '/', user: { uid: 0, gid: 0 } }));
      const res = exec(['-p', file, id]);
      assert.notEqual(res.status, 0);
      if (r.name.startsWith('tsrun')) assert.match(res.err, /^tsrun: [^\n]*args[^\n]*\n$/);
      assert.equal(stateOf(r, id).status, 'running');
    });

    it('gives the process a terminal with -t and --console-socket', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-consock-'));
      const sock = path.join(dir, 'c.sock');
      const listener = listenConsole(sock);
      try {
        const master = listener.accept();
        const res = exec(['-d', '-t', '--console-socket', sock, id, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty']);
        assert.equal(res.status, 0, res.err);
        const fd = await master;
        const out = (await readPty(fd)).replace(/\r/g, '');
        assert.match(out, /^\/dev\/pts\/\d+\nstdin-is-tty\n$/);
        fs.closeSync(fd);
      } finally {
        listener.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runs in a created container', () => {
      const c = uniqueId('execc');
      const b2 = makeBundle('sleep 1000');
      bundles.push(b2);
      assert.equal(rt(r, ['create', '-b', b2.dir, c]).status, 0);
      const res = exec([c, 'sh', '-c', 'echo in-created']);
      assert.equal(res.status, 0, res.err);
      assert.equal(res.out, 'in-created\n');
      assert.equal(stateOf(r, c).status, 'created');
    });

    it('fails for a stopped or unknown container', () => {
      const c = uniqueId('execs');
      const b2 = makeBundle('true');
      bundles.push(b2);
      assert.equal(rt(r, ['run', '--keep', '-b', b2.dir, c]).status, 0);
      if (stateOf(r, c).status !== 'stopped') return assert.fail('expected stopped');
      const res = exec([c, 'true']);
      assert.notEqual(res.status, 0);
      assert.ok(res.err.trim().length > 0);
      assert.notEqual(exec([uniqueId('nosuch'), 'true']).status, 0);
    });
  });
}
