// A real tsrund (bin/tsrund) for one test file: its own socket, root and state under a temp directory, real shims
// and containers. cleanup() removes everything it made: the daemon, shims, containers (tsrun delete --force),
// their cgroups (/tsrund/<namespace>/...), mounts and files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TsrundClient } from '../../supervisor/src/client.js';
import { REPO, TSRUN, alive } from '../helpers/bundle.js';

export const TSRUND = path.join(REPO, 'bin', 'tsrund');
export const TSCTL = path.join(REPO, 'bin', 'tsctl');
export const EXAMPLE_ROOTFS = path.join(REPO, 'examples', 'busybox', 'rootfs');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TestDaemon {
  readonly dir: string;
  readonly address: string;
  readonly root: string;
  readonly state: string;
  proc: ChildProcess | undefined;
  private clients: TsrundClient[] = [];
  /** Namespaces used, for the cgroup cleanup. */
  readonly namespaces = new Set<string>(['default']);

  constructor(readonly extraArgs: string[] = []) {
    // short paths: a shim's socket path must fit in sun_path (108 bytes)
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsd-'));
    this.address = path.join(this.dir, 'tsrund.sock');
    this.root = path.join(this.dir, 'root');
    this.state = path.join(this.dir, 'state');
  }

  async start(): Promise<void> {
    const log = fs.openSync(path.join(this.dir, 'tsrund.log'), 'a');
    this.proc = spawn(TSRUND, ['--address', this.address, '--root', this.root, '--state', this.state, ...this.extraArgs], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const c = new TsrundClient(this.address);
    try {
      for (;;) {
        if (this.proc.exitCode !== null) throw new Error(`tsrund exited: ${this.log()}`);
        try {
          await c.version.Version({}, { deadline: 1000 });
          return;
        } catch {
          await sleep(50);
        }
      }
    } finally {
      c.close();
    }
  }

  log(): string {
    return fs.readFileSync(path.join(this.dir, 'tsrund.log'), 'utf8');
  }

  client(namespace = 'default'): TsrundClient {
    this.namespaces.add(namespace);
    const c = new TsrundClient(this.address, { namespace });
    this.clients.push(c);
    return c;
  }

  /** kill -9: no chance to clean anything up. */
  async crash(): Promise<void> {
    const p = this.proc;
    if (!p?.pid || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** Pids of this daemon's live shims (from the pid files in the bundles). */
  shimPids(): number[] {
    const out: number[] = [];
    const bundles = path.join(this.state, 'bundles');
    for (const ns of fs.existsSync(bundles) ? fs.readdirSync(bundles) : []) {
      for (const id of fs.readdirSync(path.join(bundles, ns))) {
        try {
          const pid = Number(fs.readFileSync(path.join(bundles, ns, id, 'shim.pid'), 'utf8'));
          if (pid > 0 && alive(pid)) out.push(pid);
        } catch {
          // no pid file
        }
      }
    }
    return out;
  }

  /** Processes whose command line names this daemon's directory (shims, containers' leftovers). */
  ourProcesses(): number[] {
    const out: number[] = [];
    for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(this.dir)) out.push(Number(p));
      } catch {
        // gone
      }
    }
    return out.filter((p) => p !== this.proc?.pid && p !== process.pid);
  }

  cgroups(): string[] {
    const out: string[] = [];
    for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
      for (const ns of this.namespaces) {
        const d = path.join('/sys/fs/cgroup', ctl, 'tsrund', ns);
        if (fs.existsSync(d)) out.push(...fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(d, e.name)));
      }
    }
    return out;
  }

  /** The namespaces' own cgroups (/tsrund/<ns>) that exist in any hierarchy: tsrund removes them once empty. */
  namespaceCgroups(): string[] {
    const out: string[] = [];
    for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
      for (const ns of this.namespaces) {
        const d = path.join('/sys/fs/cgroup', ctl, 'tsrund', ns);
        if (fs.existsSync(d)) out.push(d);
      }
    }
    return out;
  }

  mounts(): string[] {
    return fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.dir + '/'));
  }

  async cleanup(): Promise<void> {
    for (const c of this.clients) c.close();
    await this.crash();
    for (const pid of this.shimPids()) process.kill(pid, 'SIGKILL');
    const runtime = path.join(this.state, 'runtime');
    for (const ns of fs.existsSync(runtime) ? fs.readdirSync(runtime) : []) {
      for (const id of fs.readdirSync(path.join(runtime, ns))) {
        spawnSync(TSRUN, ['--root', path.join(runtime, ns), 'delete', '--force', id], { stdio: 'ignore' });
      }
    }
    for (const pid of this.ourProcesses()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const cg of this.cgroups()) {
      try {
        fs.rmdirSync(cg);
      } catch {
        // busy or gone
      }
    }
    for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
      for (const ns of this.namespaces) {
        try {
          fs.rmdirSync(path.join('/sys/fs/cgroup', ctl, 'tsrund', ns));
        } catch {
          // absent or still used by another test
        }
      }
      try {
        fs.rmdirSync(path.join('/sys/fs/cgroup', ctl, 'tsrund'));
      } catch {
        // absent or in use
      }
    }
    for (const m of this.mounts().sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    await sleep(0);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A spec for the example busybox rootfs running `sh -c script`. */
export function spec(script: string, edit?: (s: Record<string, any>) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const s = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'busybox', 'config.json'), 'utf8'));
  s.process.args = ['sh', '-c', script];
  edit?.(s);
  return JSON.stringify(s);
}

export const skipReason = (): string | false => {
  if (process.getuid?.() !== 0) return 'not root';
  if (!fs.existsSync(path.join(EXAMPLE_ROOTFS, 'bin', 'sh'))) return 'no example rootfs (run scripts/setup.sh)';
  if (!fs.existsSync(path.join(REPO, 'dist', 'shim', 'src', 'client.js'))) return 'tsrun-shim is not built';
  return false;
};

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
