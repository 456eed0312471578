// run = create + start (+ wait in the foreground, forwarding signals; the exit code is the container's,
// 128+n when a signal killed it). tsrun becomes a child subreaper so the container's init, whose parent (the
// native stage) exits during create, is reparented to it and can be waited for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createContainer } from '../../container/create.js';
import { destroyContainer } from '../../container/destroy.js';
import { startContainer } from '../../container/start.js';
import { libc } from '../../linux/libc.js';
import type { Command } from '../registry.js';
import { createArgs, createOptions } from './create.js';

const FORWARDED = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'] as const;

/** Whether the bundle asks for a terminal; only read here to decide who receives the pty master. */
function wantsTerminal(bundle: string): boolean {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    return spec?.process?.terminal === true;
  } catch {
    return false; // create reports the problem with the config
  }
}

export function exitCode(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

export const command: Command = {
  usage: 'run [--bundle DIR] [--detach] [--keep] [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] [--no-pivot] [--no-new-keyring] <container-id>',
  options: { ...createOptions, detach: { type: 'boolean', short: 'd', default: false }, keep: { type: 'boolean', default: false } },
  async run(ctx, { values, positionals }) {
    const o = createArgs(values, positionals);
    if (!values.detach) libc.setChildSubreaper();
    const tty = !values.detach && !o.consoleSocket && wantsTerminal(o.bundle) ? (await import('../../container/tty.js')).foregroundTty() : undefined;
    if (tty) o.consoleSocket = tty.socketPath;
    let rec;
    try {
      rec = await createContainer(ctx, o);
      await tty?.attached;
    } catch (e) {
      tty?.close();
      throw e;
    }
    try {
      await startContainer(ctx, o.id);
    } catch (e) {
      process.kill(rec.pid, 'SIGKILL');
      if (!values.detach) await libc.waitpid(rec.pid).catch(() => 0);
      await destroyContainer(ctx, rec);
      throw e;
    }
    if (values.detach) return 0;
    const forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(rec.pid, sig);
      } catch {
        // exited
      }
    };
    for (const sig of FORWARDED) process.on(sig, forward);
    const status = await libc.waitpid(rec.pid);
    for (const sig of FORWARDED) process.off(sig, forward);
    if (tty) {
      await tty.drained();
      tty.close();
    }
    if (!values.keep) await destroyContainer(ctx, ctx.store.read(o.id));
    return exitCode(status);
  },
};
