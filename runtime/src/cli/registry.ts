// The command table: name -> lazily imported module, so a command loads only what it needs.
import { createRequire } from 'node:module';
import type { OptionSpec, ParsedArgs } from './args.js';
import type { Context } from './context.js';

export interface Command {
  /** Option table for the command's own flags (cli/args.ts). */
  options: Record<string, OptionSpec>;
  usage: string;
  /** The command parses its own arguments (exec: flags end at the container id, the rest is the program's). */
  rawArgs?: boolean;
  run(ctx: Context, args: ParsedArgs): Promise<number | void>;
}

export const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  create: () => import('./commands/create.js'),
  start: () => import('./commands/start.js'),
  run: () => import('./commands/run.js'),
  state: () => import('./commands/state.js'),
  kill: () => import('./commands/kill.js'),
  delete: () => import('./commands/delete.js'),
  list: () => import('./commands/list.js'),
  spec: () => import('./commands/spec.js'),
  update: () => import('./commands/update.js'),
  events: () => import('./commands/events.js'),
  exec: () => import('./commands/exec.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  ps: () => import('./commands/ps.js'),
  features: () => import('./commands/features.js'),
};

/**
 * A command's module. Bun requires it: each command is its own entry point of the compiled program
 * (scripts/bundle-bun.js), and its require() of one costs about 1 ms less than import(), which makes an ES module
 * record. Relative to the program's main file: this main.js, in the program's embedded files (its entry sets
 * process.argv[1] to it) or unbundled.
 */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const load = COMMANDS[name];
  if (!load) return undefined;
  if (process.versions.bun && process.argv[1]) return (createRequire(process.argv[1])(`./commands/${name}.js`) as { command: Command }).command;
  return (await load()).command;
}
