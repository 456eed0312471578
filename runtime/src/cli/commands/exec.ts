// exec: runs a new process in a created or running container (runc's `exec`). In the foreground tsrun is a child
// subreaper (as in run): the process, whose parent (the native stage) exits once it is cloned, is reparented to
// tsrun, which forwards signals to it and exits with its code (128+n when a signal killed it). With --detach tsrun
// writes --pid-file and exits 0.
import * as fs from 'node:fs';
import { execProcess } from '../../container/exec.js';
import { TsrunError } from '../../errors.js';
import { libc } from '../../linux/libc.js';
import { writePidFile } from '../../state/pid-file.js';
import { validateId } from '../../state/store.js';
import type { Command } from '../registry.js';
import { exitCode } from './run.js';
import { type Values, parseArgs } from '../args.js';

const FORWARDED = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'] as const;

export const execOptions = {
  process: { type: 'string', short: 'p' },
  tty: { type: 'boolean', short: 't', default: false },
  'console-socket': { type: 'string' },
  cwd: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  user: { type: 'string', short: 'u' },
  'additional-gids': { type: 'string', short: 'g', multiple: true },
  cap: { type: 'string', short: 'c', multiple: true },
  'no-new-privs': { type: 'boolean', default: false },
  apparmor: { type: 'string' },
  'process-label': { type: 'string' },
  detach: { type: 'boolean', short: 'd', default: false },
  'pid-file': { type: 'string' },
  'preserve-fds': { type: 'string', default: '0' },
  'ignore-paused': { type: 'boolean', default: false },
  cgroup: { type: 'string', multiple: true },
} as const;

/**
 * As runc (Go's flag package), exec's flags end at the container id: everything after it is the command, so
 * `exec id sh -c 'exit 7'` runs `sh -c 'exit 7'` rather than reading `-c` as --cap.
 */
export function splitExecArgs(rest: string[]): { flags: string[]; id?: string; command: string[] } {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(execOptions)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if ('short' in o) takesValue.add(`-${o.short}`);
  }
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--') return { flags: rest.slice(0, i), id: rest[i + 1], command: rest.slice(i + 2) };
    if (!a.startsWith('-') || a === '-') {
      const command = rest.slice(i + 1);
      return { flags: rest.slice(0, i), id: a, command: command[0] === '--' ? command.slice(1) : command };
    }
    if (takesValue.has(a)) i++;
  }
  return { flags: rest, command: [] };
}

/** exec takes its arguments raw (see Command.rawArgs): its flags end at the container id, the rest is the command. */
function parse(raw: string[]): { v: Values; id: string; command: string[] } {
  const { flags, id, command } = splitExecArgs(raw);
  const v = parseArgs(flags, { ...execOptions, help: { type: 'boolean', short: 'h' } }, false).values;
  if (!id) throw new TsrunError('usage', 'exec: a container id is required');
  return { v, id, command };
}

function list(v: Values, key: string): string[] {
  const x = v[key];
  return Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
}

export const command: Command = {
  usage:
    'exec [-p process.json] [-t] [--console-socket SOCK] [--cwd DIR] [-e K=V]... [-u uid[:gid]] [-g gid]... [-c CAP]... [--no-new-privs] [-d] [--pid-file FILE] [--preserve-fds N] [--ignore-paused] [--cgroup [controller:]path] <container-id> [command args...]',
  options: execOptions,
  rawArgs: true,
  async run(ctx, { positionals }) {
    const { v, id, command: args } = parse(positionals);
    validateId(id);
    if (v.apparmor) throw new TsrunError('unsupported', '--apparmor: AppArmor is not enabled on this host');
    if (v['process-label']) throw new TsrunError('unsupported', '--process-label: SELinux is not enabled on this host');
    const preserve = String(v['preserve-fds'] ?? '0');
    if (!/^\d+$/.test(preserve)) throw new TsrunError('usage', `--preserve-fds: must be a number, not "${preserve}"`);
    const processFile = v.process as string | undefined;
    if (processFile && args.length > 0) throw new TsrunError('usage', 'exec: give either -p process.json or a command, not both');
    const detach = Boolean(v.detach);
    let consoleSocket = v['console-socket'] as string | undefined;
    const wantsTty = processFile ? processTerminal(processFile) : Boolean(v.tty);
    if (wantsTty && detach && !consoleSocket) throw new TsrunError('usage', 'exec: a terminal with --detach needs --console-socket');
    if (!detach) libc.setChildSubreaper();
    const tty = wantsTty && !detach && !consoleSocket ? (await import('../../container/tty.js')).foregroundTty() : undefined;
    if (tty) consoleSocket = tty.socketPath;
    let pid: number;
    try {
      ({ pid } = await execProcess(ctx, {
        id,
        processFile,
        overrides: {
          args,
          env: list(v, 'env'),
          cwd: v.cwd as string | undefined,
          user: v.user as string | undefined,
          additionalGids: list(v, 'additional-gids'),
          caps: list(v, 'cap'),
          noNewPrivs: Boolean(v['no-new-privs']),
          tty: Boolean(v.tty),
        },
        consoleSocket,
        preserveFds: Number(preserve),
        ignorePaused: Boolean(v['ignore-paused']),
        cgroup: list(v, 'cgroup'),
      }));
      await tty?.attached;
    } catch (e) {
      tty?.close();
      throw e;
    }
    if (v['pid-file']) writePidFile(v['pid-file'] as string, pid);
    if (detach) return 0;
    const forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig);
      } catch {
        // exited
      }
    };
    for (const sig of FORWARDED) process.on(sig, forward);
    const status = await libc.waitpid(pid);
    for (const sig of FORWARDED) process.off(sig, forward);
    if (tty) {
      await tty.drained();
      tty.close();
    }
    return exitCode(status);
  },
};

/** Whether a process.json asks for a terminal; only read here to decide who receives the pty master. */
function processTerminal(file: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))?.terminal === true;
  } catch {
    return false; // loadProcess reports the problem
  }
}
