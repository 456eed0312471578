// An unprivileged user made by a test (useradd with a unique name and no automatic subordinate ids), commands run as that user (setpriv), its
// /etc/subuid and /etc/subgid ranges, and the cleanup of all of it: processes by pid, the user, the files as they were.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { which } from './bundle.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** Its XDG_RUNTIME_DIR (0700, owned by the user), made by the test. */
  xdg: string;
  /** Runs a command as the user with a small environment; output goes through files (a container inherits them). */
  /** `enter`: cgroup directories the command is moved into (by a root shell) before it becomes the user. */
  run(cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; timeout?: number; enter?: string[] }): { status: number | null; out: string; err: string };
  /** Its live processes (by /proc/<pid>/status real uid; zombies are left out). */
  pids(): number[];
  /** SIGKILLs its live processes (by pid) until none is left. */
  killAll(): void;
  /** killAll, then the user, its group and the test's directory go. */
  remove(): void;
}

/** Why a user-namespace test cannot run here, or false. */
export function userTestBlocker(paths: string[]): string | false {
  if (process.getuid?.() !== 0) return 'not root (the test creates a user)';
  for (const tool of ['useradd', 'userdel', 'setpriv']) if (!which(tool) && !fs.existsSync(`/usr/sbin/${tool}`)) return `${tool} is not installed`;
  if (Number(fs.readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')) === 0) return 'user namespaces are disabled (user.max_user_namespaces is 0)';
  // The user must reach the project's files: every directory on the way must be searchable by others.
  for (const p of paths) {
    for (let d = path.dirname(fs.realpathSync(p)); ; d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0) return `${d} is not searchable by other users, so an unprivileged user cannot run ${p}`;
      if (d === '/') break;
    }
  }
  return false;
}

const sbin = (tool: string): string => which(tool) ?? `/usr/sbin/${tool}`;

function uidProcesses(uid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      // A zombie is dead already; here pid 1 (not the test) reaps the orphans, whenever it gets to them.
      if (m && Number(m[1]) === uid && !/^State:\s+Z/m.test(status)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

export function createUser(prefix: string): TestUser {
  const name = `${prefix}${process.pid}`.slice(0, 31);
  execFileSync(sbin('useradd'), ['-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', '--no-create-home', '--user-group', '--shell', '/bin/false', '--home-dir', '/nonexistent', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-rootless-'));
  fs.chmodSync(top, 0o755);
  const xdg = path.join(top, 'xdg');
  fs.mkdirSync(xdg, { mode: 0o700 });
  fs.chownSync(xdg, uid, gid);
  const user: TestUser = {
    name,
    uid,
    gid,
    xdg,
    run(cmd, args, opts = {}) {
      const dir = fs.mkdtempSync(path.join(top, 'out-'));
      const out = fs.openSync(path.join(dir, 'out'), 'w+');
      const err = fs.openSync(path.join(dir, 'err'), 'w+');
      try {
        const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: xdg, USER: name, LOGNAME: name, XDG_RUNTIME_DIR: xdg, ...opts.env };
        const setpriv = ['setpriv', '--reuid', String(uid), '--regid', String(gid), '--init-groups', '--', cmd, ...args];
        const enter = opts.enter ?? [];
        const move = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; n=$((n - 1)); done; exec "$@"';
        const [bin, ...argv] = enter.length === 0 ? setpriv : ['sh', '-c', move, 'sh', String(enter.length), ...enter, ...setpriv];
        const res = spawnSync(bin as string, argv, {
          stdio: ['ignore', out, err],
          env,
          cwd: '/',
          timeout: opts.timeout ?? 30_000,
        });
        return { status: res.status, out: fs.readFileSync(path.join(dir, 'out'), 'utf8'), err: fs.readFileSync(path.join(dir, 'err'), 'utf8') };
      } finally {
        fs.closeSync(out);
        fs.closeSync(err);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    pids: () => uidProcesses(uid),
    // Only this user's processes, by pid: containers a failed test left running.
    killAll() {
      for (let round = 0; round < 50; round++) {
        const left = uidProcesses(uid);
        if (left.length === 0) break;
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    },
    remove() {
      user.killAll();
      // --force: a zombie of the user's that pid 1 has not reaped yet would make userdel refuse.
      spawnSync(sbin('userdel'), ['--force', name]);
      if (spawnSync('getent', ['group', name]).status === 0) spawnSync(sbin('groupdel'), [name]);
      fs.rmSync(top, { recursive: true, force: true });
    },
  };
  return user;
}

/**
 * Gives the user a range in /etc/subuid and /etc/subgid; restore() puts both files back byte for byte (and mode).
 * The range starts high, in a place no other entry uses.
 */
export function addSubIds(name: string, size: number): { start: number; restore(): void } {
  const files = ['/etc/subuid', '/etc/subgid'];
  const saved = files.map((f) => (fs.existsSync(f) ? { text: fs.readFileSync(f), mode: fs.statSync(f).mode & 0o7777 } : undefined));
  const used = saved.flatMap((s) => (s ? s.text.toString().split('\n') : [])).map((l) => l.split(':')).filter((f) => f.length === 3);
  let start = 3_000_000_000 - 65536 * (process.pid % 1000);
  while (used.some(([, s, n]) => start < Number(s) + Number(n) && Number(s) < start + size)) start -= size;
  for (const [i, f] of files.entries()) {
    const text = saved[i]?.text.toString() ?? '';
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    fs.appendFileSync(f, `${sep}${name}:${start}:${size}\n`, { mode: saved[i]?.mode ?? 0o644 });
  }
  return {
    start,
    restore() {
      for (const [i, f] of files.entries()) {
        const s = saved[i];
        if (!s) fs.rmSync(f, { force: true });
        else {
          fs.writeFileSync(f, s.text);
          fs.chmodSync(f, s.mode);
        }
      }
    },
  };
}
