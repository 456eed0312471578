// The command table: name -> lazily imported module, so a command loads only what it needs.
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
