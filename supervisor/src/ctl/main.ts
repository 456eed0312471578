// tsctl: the command-line client of tsrund, as ctr is containerd's.
//   tsctl [--address SOCK] [--namespace NS] [--format table|json] <containers|tasks|events|run|version> ...
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { containersCommand } from './commands/containers.js';
import { eventsCommand } from './commands/events.js';
import { runCommand } from './commands/run.js';
import { tasksCommand } from './commands/tasks.js';
import type { Ctx } from './context.js';
import type { Format } from './format.js';

// grpc-js and the protos load only when a command talks to tsrund (not for --help or a usage error)
let globals: { address: string; namespace: string; format: Format } | undefined;
let ctx: Promise<Ctx> | undefined;
const getCtx = (): Promise<Ctx> => {
  const g = globals;
  if (!g) throw new Error('no context');
  ctx ??= import('../client.js').then(({ TsrundClient }) => ({ client: new TsrundClient(g.address, { namespace: g.namespace }), format: g.format }));
  return ctx;
};

async function main(): Promise<void> {
  const y = yargs(hideBin(process.argv))
    .scriptName('tsctl')
    .parserConfiguration({ 'populate--': true })
    .option('address', { type: 'string', default: '/run/tsrund/tsrund.sock', describe: "tsrund's socket", global: true })
    .option('namespace', { alias: 'n', type: 'string', default: 'default', global: true })
    .option('format', { type: 'string', choices: ['table', 'json'], default: 'table', global: true })
    .middleware((a) => {
      globals = { address: a.address, namespace: a.namespace, format: a.format as Format };
    })
    .command(['containers', 'c'], 'manage containers', (a) => containersCommand(a, getCtx))
    .command(['tasks', 't'], 'manage tasks', (a) => tasksCommand(a, getCtx))
    .command('version', "tsrund's version", (a) => a, async () => {
      const v = await (await getCtx()).client.version.Version({});
      process.stdout.write(`tsrund ${v.version}\nshim ${v.shim}\nruntime ${v.runtime}\n`);
    })
    .demandCommand(1, 'a command is required')
    .strict()
    .fail((msg, err) => {
      throw err ?? Object.assign(new Error(msg), { usage: true });
    })
    .help();
  // yargs renders a command's whole help text before it runs the command, to print it should the command fail;
  // tsctl's fail() prints the error alone, so that text was never used. Rendering it cost ~5 ms of CPU per command
  // (containers list 35 -> 30 ms) and ~12 ms in run -d (44 -> 31 ms), measured. The hook is yargs's own (command.js
  // calls it); should a yargs release drop it, nothing changes but the cost.
  const usage = (y as unknown as { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => undefined;
  eventsCommand(y, getCtx);
  runCommand(y, getCtx);
  await y.parseAsync();
}

main().then(
  async () => {
    (await ctx)?.client.close();
    process.exit(process.exitCode ?? 0);
  },
  (err: Error & { details?: string; usage?: boolean }) => {
    process.stderr.write(`tsctl: ${err.details ?? err.message}\n`);
    process.exit(err.usage ? 2 : 1);
  },
);
