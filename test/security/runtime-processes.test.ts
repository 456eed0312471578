// The runtime's own processes against the container: a container process can neither signal nor ptrace a runtime
// process, and the runtime never executes a file of the container's rootfs on the host side.
//
// - tsrun and its native stage's parent run in the host's pid namespace: invisible to a container with a pid
//   namespace (ESRCH). The exec stage of `tsrun exec` is inside the container's pid namespace until it execs; it is
//   not dumpable, so even with the same uid and the same capabilities ptrace(2) gets EPERM.
// - Everything the runtime runs on the host is a host path: the native stage (an absolute path, executed from a
//   sealed copy), `ps` for `tsrun ps`, hooks of the runtime namespace. Trojans named like them, placed in the rootfs
//   both at their bare names and at the host's absolute paths, must never run.
//
// Checked against the vulnerable design: with PR_SET_DUMPABLE left at 1 in the native stage, the ptrace case
// attached ("attach=ok") and failed. The trojan case has no vulnerable build to revert to; it fails as soon as any
// trojan runs, on the host (the marker file) or in the rootfs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO, makeBundle, needRoot, rt, stateOf, tsrunRuntime, which } from '../helpers/bundle.js';
import { waitFor } from './wait.js';
import { Cleanup, NATIVE_INIT, compileC, nsPid, withHeldExecStage } from './helpers.js';

const PTRACE = `#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
int main(int argc, char **argv)
{
	pid_t pid = argc == 2 ? atoi(argv[1]) : 0;
	if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0) {
		printf("attach=%s\\n", errno == EPERM ? "EPERM" : strerror(errno));
		return 0;
	}
	waitpid(pid, NULL, 0);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	printf("attach=ok\\n");
	return 0;
}
`;

describe('runtime processes are out of the container\'s reach', { skip: needRoot }, () => {
  const r = tsrunRuntime();
  const c = new Cleanup(r);
  after(() => c.run());

  it('a container process cannot signal the runtime\'s host processes (ESRCH)', async () => {
    const b = makeBundle('sleep 30');
    c.bundles.push(b);
    const id = `secproc-sig-${process.pid}`;
    c.ids.push(id);
    assert.equal(rt(r, ['run', '-d', '-b', b.dir, id]).status, 0);
    // a foreground `tsrun exec` stays alive on the host while its process runs
    const fg = spawn(r.bin, ['--root', r.root, 'exec', id, 'sleep', '5'], { stdio: 'ignore' });
    try {
      waitFor(() => rt(r, ['exec', id, 'sh', '-c', 'pidof sleep | wc -w']).out.trim() === '2', 'the foreground exec to start');
      const targets = [fg.pid!, process.pid, stateOf(r, id).pid];
      const res = rt(r, ['exec', id, 'sh', '-c', targets.map((p) => `kill -0 ${p} 2>&1 || echo "${p}=ESRCH"`).join('; ')]);
      // the host pid of the container's init is (almost surely) not a pid inside it either
      for (const p of targets) assert.match(res.out, new RegExp(`^${p}=ESRCH$`, 'm'), res.out);
    } finally {
      fg.kill('SIGKILL');
    }
  });

  it('the exec stage cannot be ptraced, even with the same uid and capabilities', () => {
    const b = makeBundle('sleep 30', (s) => {
      s.root!.readonly = false;
    });
    c.bundles.push(b);
    fs.copyFileSync(compileC('ptrace-attach', PTRACE), path.join(b.rootfs, 'ptrace-attach'));
    fs.chmodSync(path.join(b.rootfs, 'ptrace-attach'), 0o755);
    const id = `secproc-ptrace-${process.pid}`;
    c.ids.push(id);
    assert.equal(rt(r, ['run', '-d', '-b', b.dir, id]).status, 0);
    let out = '';
    // held after its capabilities are set: from then on only "not dumpable" stands between it and the container
    withHeldExecStage(r, id, b.spec, ['true'], (stage) => {
      const res = rt(r, ['exec', id, '/ptrace-attach', String(nsPid(stage))]);
      assert.equal(res.status, 0, res.err);
      out = res.out;
    }, 'ambient');
    assert.equal(out, 'attach=EPERM\n');
  });

  it('no file of the rootfs is executed on the host', () => {
    const marker = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sec-trojan-'));
    c.dirs.push(marker);
    const hit = path.join(marker, 'ran');
    const b = makeBundle('sleep 30', (s) => {
      s.hooks = {
        prestart: [{ path: '/bin/true' }],
        createRuntime: [{ path: '/bin/true' }],
        createContainer: [{ path: '/bin/true' }],
        poststart: [{ path: '/bin/true' }],
        poststop: [{ path: '/bin/true' }],
      };
    });
    c.bundles.push(b);
    // a trojan at the bare names the host runs and at the host paths of the runtime's own programs
    const trojan = `#!/bin/sh\necho "$0" >> ${hit}\n`;
    const bun = path.join(REPO, 'node_modules/@oven/bun-linux-x64/bin/bun');
    const hostPaths = [NATIVE_INIT, process.execPath, bun, which('ps') ?? '/usr/bin/ps', '/bin/ps', '/usr/bin/true'];
    const names = ['ps', 'mount', 'umount', 'nsenter', 'kill', 'id', 'getent', 'ldconfig', 'tsrun-init', 'runc', 'node', 'bun'];
    for (const p of [...hostPaths, ...names.flatMap((n) => ['/bin', '/sbin', '/usr/bin', '/usr/sbin'].map((d) => `${d}/${n}`))]) {
      const f = path.join(b.rootfs, p);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.rmSync(f, { force: true });
      fs.writeFileSync(f, trojan, { mode: 0o755 });
    }
    const id = `secproc-trojan-${process.pid}`;
    c.ids.push(id);
    const ok = (args: string[]) => {
      const res = rt(r, args);
      assert.equal(res.status, 0, `${args.join(' ')}: ${res.err}`);
    };
    ok(['create', '-b', b.dir, id]);
    ok(['exec', id, 'sh', '-c', 'echo in-container']);
    ok(['start', id]);
    ok(['ps', id]);
    ok(['ps', '-f', 'json', id]);
    ok(['exec', id, 'sh', '-c', 'echo running']);
    ok(['events', '--stats', id]);
    ok(['pause', id]);
    ok(['resume', id]);
    ok(['kill', id, 'KILL']);
    waitFor(() => stateOf(r, id).status === 'stopped', 'the container to stop');
    ok(['delete', id]);
    assert.equal(fs.existsSync(hit) ? fs.readFileSync(hit, 'utf8') : '', '', 'a trojan ran on the host');
    assert.equal(fs.existsSync(path.join(b.rootfs, hit)) ? 'ran in the container' : '', '', 'a trojan ran (in the rootfs)');
  });
});
