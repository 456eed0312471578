// tsctl tasks start|list|kill|exec|pause|resume|ps|metrics|wait|delete
import type { Argv } from 'yargs';
import type { Msg } from '../../client.js';
import { type Ctx, signalNumber } from '../context.js';
import { print, statusName, table, time } from '../format.js';
import { execProcess } from '../spec.js';
import { command, startProcess } from './run.js';

const id = { type: 'string', demandOption: true } as const;

export function tasksCommand(y: Argv, ctx: () => Promise<Ctx>): Argv {
  const simple = (name: string, describe: string, fn: (c: Ctx, id: string) => Promise<void>) =>
    y.command(`${name} <id>`, describe, (a) => a.positional('id', id), async (a) => fn(await ctx(), a.id));
  y.command(
    'start <id>',
    'create and start the task of a container, attached unless -d',
    (a) => a.positional('id', id).option('detach', { alias: 'd', type: 'boolean', default: false }).option('tty', { alias: 't', type: 'boolean', default: false }),
    async (a) => {
      process.exitCode = await startProcess(await ctx(), a.id, { detach: a.detach, tty: a.tty });
    },
  );
  y.command(
    ['list', 'ls'],
    'list tasks',
    (a) => a,
    async () => {
      const c = await ctx();
      const tasks = (await c.client.tasks.List({})).tasks as Msg[];
      print(c.format, tasks.map((t) => ({ ...t, status: statusName(t.status) })), () =>
        table(['TASK', 'PID', 'STATUS', 'EXIT'], tasks.map((t) => [t.containerId, t.pid, statusName(t.status), t.status === 3 ? t.exitStatus : '-'])),
      );
    },
  );
  y.command(
    'kill <id>',
    'signal a task (default SIGTERM)',
    (a) => a.positional('id', id).option('signal', { alias: 's', type: 'string', default: 'TERM' }).option('all', { alias: 'a', type: 'boolean', default: false }).option('exec-id', { type: 'string', default: '' }),
    async (a) => {
      await (await ctx()).client.tasks.Kill({ containerId: a.id, execId: a.execId, signal: signalNumber(a.signal), all: a.all });
    },
  );
  y.command(
    'exec <id> [cmd..]',
    'run another process in a running task, attached unless -d',
    (a) =>
      a
        .positional('id', id)
        .positional('cmd', { type: 'string', array: true, default: [] })
        .option('exec-id', { type: 'string', demandOption: true })
        .option('tty', { alias: 't', type: 'boolean', default: false })
        .option('detach', { alias: 'd', type: 'boolean', default: false })
        .option('env', { type: 'string', array: true, nargs: 1, default: [] })
        .option('cwd', { type: 'string' }),
    async (a) => {
      const c = await ctx();
      const spec = (await c.client.containers.Get({ id: a.id })).container.spec as string;
      const args = command(a);
      if (!args.length) throw new Error('exec needs a command');
      const process_ = execProcess(spec, { args, env: a.env, cwd: a.cwd, tty: a.tty });
      process.exitCode = await startProcess(c, a.id, { detach: a.detach, tty: a.tty, exec: { id: a.execId, process: process_ } });
    },
  );
  simple('pause', 'freeze every process of a task', async (c, i) => void (await c.client.tasks.Pause({ containerId: i })));
  simple('resume', 'thaw a paused task', async (c, i) => void (await c.client.tasks.Resume({ containerId: i })));
  simple('ps', "list a task's processes", async (c, i) => {
    const ps = (await c.client.tasks.ListPids({ containerId: i })).processes as Msg[];
    print(c.format, ps, () => table(['PID', 'EXEC'], ps.map((p) => [p.pid, p.execId || '-'])));
  });
  simple('metrics', "a task's cgroup statistics", async (c, i) => {
    const m = await c.client.tasks.Metrics({ containerId: i });
    const stats = JSON.parse(m.stats || 'null') as Msg | null;
    print(c.format, { containerId: m.containerId, timestamp: time(m.timestamp), stats }, () =>
      table(
        ['METRIC', 'VALUE'],
        [
          ['memory.usage', stats?.memory?.usage?.usage ?? '-'],
          ['memory.limit', stats?.memory?.usage?.limit ?? '-'],
          ['cpu.usage.total', stats?.cpu?.usage?.total ?? '-'],
          ['pids.current', stats?.pids?.current ?? '-'],
        ],
      ),
    );
  });
  y.command(
    'wait <id>',
    'wait for a process to exit; prints its exit status',
    (a) => a.positional('id', id).option('exec-id', { type: 'string', default: '' }),
    async (a) => {
      const c = await ctx();
      const w = await c.client.tasks.Wait({ containerId: a.id, execId: a.execId });
      print(c.format, { exitStatus: w.exitStatus, exitedAt: time(w.exitedAt) }, () => `${w.exitStatus}\n`);
    },
  );
  y.command(
    ['delete <id>', 'rm <id>'],
    'delete an exited task (or with --exec-id an exited exec); prints the exit status',
    (a) => a.positional('id', id).option('exec-id', { type: 'string', default: '' }),
    async (a) => {
      const c = await ctx();
      const d = a.execId ? await c.client.tasks.DeleteProcess({ containerId: a.id, execId: a.execId }) : await c.client.tasks.Delete({ containerId: a.id });
      print(c.format, { ...d, exitedAt: time(d.exitedAt) }, () => `${d.exitStatus}\n`);
    },
  );
  return y.demandCommand(1, 'a tasks command is required');
}
