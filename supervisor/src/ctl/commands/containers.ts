// tsctl containers create|list|info|delete
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { print, table, time } from '../format.js';
import { makeSpec } from '../spec.js';
import { command } from './run.js';
import { type Ctx, labelsOf } from '../context.js';
import type { Msg } from '../../client.js';

export function containersCommand(y: Argv, ctx: () => Promise<Ctx>): Argv {
  return y
    .command(
      'create <rootfs> <id> [cmd..]',
      'create a container from a rootfs directory (the default spec, or --config FILE)',
      (a) =>
        a
          .positional('rootfs', { type: 'string', demandOption: true })
          .positional('id', { type: 'string', demandOption: true })
          .positional('cmd', { type: 'string', array: true, default: [] })
          .option('config', { type: 'string', describe: 'an OCI config.json to use' })
          .option('label', { type: 'string', array: true, nargs: 1, default: [], describe: 'K=V' })
          .option('env', { type: 'string', array: true, nargs: 1, default: [], describe: 'K=V' })
          .option('cwd', { type: 'string' })
          .option('tty', { alias: 't', type: 'boolean', default: false }),
      async (a) => {
        const spec = makeSpec({ config: a.config, args: command(a), env: a.env, cwd: a.cwd, tty: a.tty });
        const c = await ctx();
        await c.client.containers.Create({ container: { id: a.id, spec: JSON.stringify(spec), labels: labelsOf(a.label), rootfs: { path: path.resolve(a.rootfs) } } });
      },
    )
    .command(
      ['list', 'ls'],
      'list containers',
      (a) => a.option('filter', { type: 'string', array: true, nargs: 1, default: [], describe: 'id==X, labels.K==V, labels.K, ...' }).option('quiet', { alias: 'q', type: 'boolean' }),
      async (a) => {
        const c = await ctx();
        const list = (await c.client.containers.List({ filters: a.filter })).containers as Msg[];
        if (a.quiet) return void process.stdout.write(list.map((x) => `${x.id}\n`).join(''));
        print(c.format, list.map(view), () =>
          table(
            ['CONTAINER', 'ROOTFS', 'LABELS', 'CREATED'],
            list.map((x) => [x.id, x.rootfs.path || `${x.rootfs.mounts.length} mounts`, Object.entries(x.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-', time(x.createdAt)]),
          ),
        );
      },
    )
    .command(
      'info <id>',
      'show a container (its spec included)',
      (a) => a.positional('id', { type: 'string', demandOption: true }),
      async (a) => {
        const c = await ctx();
        const x = (await c.client.containers.Get({ id: a.id })).container as Msg;
        process.stdout.write(JSON.stringify(view(x), null, 2) + '\n');
      },
    )
    .command(
      ['delete <id..>', 'rm <id..>'],
      'delete containers (their tasks must be deleted first)',
      (a) => a.positional('id', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        const c = await ctx();
        for (const id of a.id as string[]) await c.client.containers.Delete({ id });
      },
    )
    .demandCommand(1, 'a containers command is required');
}

function view(x: Msg): object {
  return { ...x, spec: JSON.parse(x.spec || 'null'), createdAt: time(x.createdAt), updatedAt: time(x.updatedAt) };
}
