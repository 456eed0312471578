// Seccomp in real tsrun containers: the podman/Docker default profile runs a busybox shell normally and answers what
// it blocks with its own errnos (a small static probe makes the raw syscalls, and the same probe without the filter
// shows that the answers are the filter's, not the kernel's or the capabilities'); the filter flags reach the kernel
// (SECCOMP_FILTER_FLAG_LOG is visible in the kernel log); a profile that denies getcwd still starts (runtime-tools'
// linux_seccomp, which runc 1.1.5 fails).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromDockerProfile, type DockerProfile } from '../../runtime/src/seccomp/docker.js';
import type { LinuxSeccomp } from '../../runtime/src/seccomp/types.js';
import { type Bundle, makeBundle, needRoot, rt, tsrunRuntime, which } from '../helpers/bundle.js';

const PROFILE = '/usr/share/containers/seccomp.json';
/** podman's default capabilities (containers.conf); the profile is converted for exactly these. */
const PODMAN_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

// probe NAME:NR[:ARG...] ...: makes each raw syscall and prints NAME=ok or NAME=E<errno>
const PROBE_C = `
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *s = strdup(argv[i]), *name = strtok(s, ":");
    long nr = strtol(strtok(NULL, ":"), NULL, 0), a[6] = { 0 };
    for (int k = 0; k < 6; k++) { char *t = strtok(NULL, ":"); if (!t) break; a[k] = (long)strtoul(t, NULL, 0); }
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r < 0) printf("%s=E%d\\n", name, errno); else printf("%s=ok\\n", name);
    if (r > 2 && nr != SYS_personality) close((int)r);
  }
  return 0;
}`;

const skip = needRoot || (process.arch !== 'x64' ? 'the probe uses x86_64 syscall numbers' : !which('cc') ? 'no C compiler for the probe' : false);

describe('seccomp in tsrun containers', { skip }, () => {
  const r = tsrunRuntime();
  const bundles: Bundle[] = [];
  const ids: string[] = [];
  let probe = '';
  before(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-probe-'));
    fs.writeFileSync(path.join(dir, 'probe.c'), PROBE_C);
    execFileSync('cc', ['-static', '-O2', '-o', path.join(dir, 'probe'), path.join(dir, 'probe.c')]);
    probe = path.join(dir, 'probe');
  });
  after(() => {
    ids.forEach((id) => rt(r, ['delete', '--force', id]));
    bundles.forEach((b) => b.remove());
    if (probe) fs.rmSync(path.dirname(probe), { recursive: true, force: true });
    fs.rmSync(r.root, { recursive: true, force: true });
  });

  /** Runs `sh -c script` in a container with the probe at /bin/<probeName> and the given seccomp profile. */
  function run(script: string, seccomp: LinuxSeccomp | undefined, opts: { caps?: string[]; probeName?: string } = {}): { out: string; err: string; status: number | null } {
    const b = makeBundle(script, (s) => {
      if (seccomp) s.linux!.seccomp = seccomp;
      else delete s.linux!.seccomp;
      s.root!.readonly = false;
      if (opts.caps) s.process!.capabilities = { bounding: opts.caps, effective: opts.caps, permitted: opts.caps };
    });
    bundles.push(b);
    fs.copyFileSync(probe, path.join(b.rootfs, 'bin', opts.probeName ?? 'probe'));
    fs.chmodSync(path.join(b.rootfs, 'bin', opts.probeName ?? 'probe'), 0o755);
    const id = `sc-${process.pid}-${ids.length}`;
    ids.push(id);
    const res = rt(r, ['run', '-b', b.dir, id]);
    return { out: res.out, err: res.err, status: res.status };
  }

  it('the podman default profile runs a busybox shell normally and answers what it blocks with its errnos', { skip: fs.existsSync(PROFILE) ? false : `no ${PROFILE}` }, () => {
    const profile = fromDockerProfile(JSON.parse(fs.readFileSync(PROFILE, 'utf8')) as DockerProfile, { capabilities: PODMAN_CAPS });
    const normal = [
      'echo hello | tr a-z A-Z',
      'ls / | grep -c -x -e bin -e etc',
      'mkdir -p /tmp/a/b && echo data > /tmp/a/b/f && cat /tmp/a/b/f && rm -r /tmp/a',
      'id -u',
      'seq 1 100 | sort -rn | head -1',
      'for i in 1 2 3; do (echo sub$i) & done; wait',
      'ps -o comm | grep -c -x ps',
      'date +%Y >/dev/null && sleep 0 && echo slept',
      'uname -s',
    ].join('; ');
    // raw syscalls (x86_64 numbers): args where the kernel itself would fail differently, or succeed
    const probes = [
      'add_key:248', // not in the profile: defaultErrnoRet 38
      'io_uring_setup:425:1:0', // not in the profile
      'vmsplice:278:99:0:0:0', // ERRNO 1 for everyone (the kernel: EBADF)
      'audit_socket:41:16:3:9', // socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT) without CAP_AUDIT_WRITE: EINVAL (the kernel: ok)
      'route_socket:41:16:3:0', // NETLINK_ROUTE: allowed
      'personality_linux:135:0', // allowed values only
      'personality_other:135:1', // any other: the default, 38 (the kernel: ok)
      'getpid:39',
    ];
    const script = `${normal}; probe ${probes.join(' ')}; grep "^Seccomp:" /proc/self/status`;
    const want = (filtered: boolean): string =>
      [
        'HELLO', '2', 'data', '0', '100', 'sub1', 'sub2', 'sub3', '1', 'slept', 'Linux',
        `add_key=E${filtered ? 38 : 14}`,
        `io_uring_setup=E${filtered ? 38 : 14}`,
        `vmsplice=E${filtered ? 1 : 9}`,
        filtered ? 'audit_socket=E22' : 'audit_socket=ok',
        'route_socket=ok',
        'personality_linux=ok',
        filtered ? 'personality_other=E38' : 'personality_other=ok',
        'getpid=ok',
        `Seccomp:\t${filtered ? 2 : 0}`,
        '',
      ].join('\n');
    const sort = (out: string): string => out.replace(/sub\d\nsub\d\nsub\d/, 'sub1\nsub2\nsub3'); // background order varies
    const filtered = run(script, profile, { caps: PODMAN_CAPS });
    assert.equal(filtered.status, 0, filtered.err);
    const control = run(script, undefined, { caps: PODMAN_CAPS });
    assert.equal(control.status, 0, control.err);
    assert.equal(sort(control.out), want(false), 'without the filter the kernel answers otherwise');
    assert.equal(sort(filtered.out), want(true), filtered.err);
  });

  it('passes every flag to the kernel: SECCOMP_FILTER_FLAG_LOG makes its ERRNO verdicts show in the kernel log', { skip: hasAuditd() ? 'auditd takes the audit records' : false }, () => {
    const tag = `lp${process.pid}x${Date.now() % 1e6}`;
    const flags = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
    const profile = (f: string[]): LinuxSeccomp => ({ defaultAction: 'SCMP_ACT_ALLOW', flags: f, syscalls: [{ names: ['vmsplice'], action: 'SCMP_ACT_ERRNO', errnoRet: 77 }] });
    const logged = (name: string): number => execFileSync('dmesg', { encoding: 'utf8' }).split('\n').filter((l) => l.includes('type=1326') && l.includes(`exe="/bin/${name}"`)).length;
    const quiet = run(`${tag}q vmsplice:278:99`, profile(flags.filter((f) => f !== 'SECCOMP_FILTER_FLAG_LOG')), { probeName: `${tag}q` });
    const loud = run(`${tag}l vmsplice:278:99`, profile(flags), { probeName: `${tag}l` });
    assert.equal(quiet.out, 'vmsplice=E77\n', quiet.err);
    assert.equal(loud.out, 'vmsplice=E77\n', loud.err);
    assert.equal(logged(`${tag}q`), 0, 'no LOG flag, no record');
    assert.equal(logged(`${tag}l`), 1, 'the LOG flag logs the ERRNO verdict');
  });

  it("starts a container whose profile denies getcwd (runtime-tools' linux_seccomp; runc 1.1.5 fails it)", () => {
    const res = run('pwd; echo "rc=$?"', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO' }] });
    assert.equal(res.status, 0, res.err);
    // busybox pwd falls back to $PWD when getcwd fails
    assert.match(res.out, /rc=0\n$/);
  });
});

function hasAuditd(): boolean {
  const comm = (pid: string): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return fs.readdirSync('/proc').some((p) => /^\d+$/.test(p) && comm(p) === 'auditd');
}
