// tsctl run, tasks start and tasks exec: make the process, attach tsctl's stdio to it (unless detached), start
// it, and return its exit code, as `ctr run` does. Without a terminal, SIGINT and SIGTERM are passed on.
import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { Ctx } from '../context.js';
import { attachFifos, followWindow, type Attached } from '../io.js';
import { execProcess, makeSpec } from '../spec.js';

export interface StartOptions {
  detach: boolean;
  tty: boolean;
  /** For an exec: its id and process. */
  exec?: { id: string; process: object };
}

export async function startProcess(c: Ctx, id: string, o: StartOptions): Promise<number> {
  const execId = o.exec?.id ?? '';
  const t = c.client.tasks;
  const closeStdin = () => void t.CloseIO({ containerId: id, execId, stdin: true }).catch(() => undefined);
  const io: Attached | undefined = o.detach ? undefined : attachFifos(o.tty, closeStdin);
  const stdio = io?.stdio ?? {};
  try {
    if (o.exec) await t.Exec({ containerId: id, execId, spec: JSON.stringify(o.exec.process), stdio });
    else await t.Create({ containerId: id, stdio });
    io?.copyStdin();
    const resize = (width: number, height: number) => t.ResizePty({ containerId: id, execId, width, height }).catch(() => undefined);
    // the init's terminal exists once the task is created: size it before the program starts (an exec's only
    // exists once started)
    let stopResize = () => {};
    if (io && o.tty && !execId) stopResize = followWindow(resize);
    await t.Start({ containerId: id, execId });
    if (!io) return 0;
    if (o.tty && execId) stopResize = followWindow(resize);
    const forward = (sig: NodeJS.Signals) => void t.Kill({ containerId: id, execId, signal: sig === 'SIGINT' ? 2 : 15 }).catch(() => undefined);
    if (!o.tty) for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, forward);
    const exit = await t.Wait({ containerId: id, execId });
    await io.drained();
    stopResize();
    return exit.exitStatus as number;
  } finally {
    io?.close();
  }
}

export function runCommand(y: Argv, ctx: () => Promise<Ctx>): Argv {
  return y.command(
    'run <rootfs> <id> [cmd..]',
    'create and start a container on a rootfs directory, attached; exits with its exit code',
    (a) =>
      a
        .positional('rootfs', { type: 'string', demandOption: true })
        .positional('id', { type: 'string', demandOption: true })
        .positional('cmd', { type: 'string', array: true, default: [] })
        .option('rm', { type: 'boolean', default: false, describe: 'delete the task and container once it exits' })
        .option('tty', { alias: 't', type: 'boolean', default: false })
        .option('detach', { alias: 'd', type: 'boolean', default: false })
        .option('env', { type: 'string', array: true, nargs: 1, default: [], describe: 'K=V' })
        .option('cwd', { type: 'string' })
        .option('config', { type: 'string', describe: 'an OCI config.json to start from' })
        .option('label', { type: 'string', array: true, nargs: 1, default: [] }),
    async (a) => {
      const c = await ctx();
      const spec = makeSpec({ config: a.config, args: command(a), env: a.env, cwd: a.cwd, tty: a.tty });
      const labels = Object.fromEntries(a.label.map((kv) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]));
      await c.client.containers.Create({ container: { id: a.id, spec: JSON.stringify(spec), labels, rootfs: { path: path.resolve(a.rootfs) } } });
      let code = 0;
      try {
        code = await startProcess(c, a.id, { detach: a.detach, tty: a.tty });
      } finally {
        if (a.rm && !a.detach) {
          await c.client.tasks.Delete({ containerId: a.id }).catch(() => undefined);
          await c.client.containers.Delete({ id: a.id });
        }
      }
      process.exitCode = code;
    },
  );
}

/** The command: positionals after the id, and everything after `--`. */
export function command(a: { cmd?: (string | number)[]; '--'?: (string | number)[] }): string[] {
  return [...(a.cmd ?? []), ...(a['--'] ?? [])].map(String);
}

export { execProcess };
