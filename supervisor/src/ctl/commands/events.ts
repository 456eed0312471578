// tsctl events [--topic T]...: the event stream, one line per event, until interrupted.
import type { Argv } from 'yargs';
import type { Ctx } from '../context.js';
import { time } from '../format.js';

export function eventsCommand(y: Argv, ctx: () => Promise<Ctx>): Argv {
  return y.command(
    'events',
    'print events as they happen',
    (a) => a.option('topic', { type: 'string', array: true, nargs: 1, default: [], describe: 'a topic, or a prefix ending in /' }).option('after', { type: 'number', default: 0, describe: 'first replay kept events after this seq' }),
    async (a) => {
      const c = await ctx();
      const sub = c.client.subscribe(a.topic, a.after);
      process.on('SIGINT', () => sub.close());
      for await (const ev of sub) {
        if (c.format === 'json') process.stdout.write(JSON.stringify(ev) + '\n');
        else {
          const extra = [ev.execId && `exec=${ev.execId}`, ev.pid && `pid=${ev.pid}`, ev.topic === '/tasks/exit' && `status=${ev.exitStatus}`].filter(Boolean).join(' ');
          process.stdout.write(`${time(ev.timestamp)} ${ev.namespace} ${ev.topic} ${ev.containerId}${extra ? ' ' + extra : ''}\n`);
        }
      }
    },
  );
}
