import { TsrunError } from '../../errors.js';
import { stateDocument } from '../../state/store.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd((widths[c] ?? 0) + 3))).join('')).join('\n');
}

export const command: Command = {
  usage: 'list [--format table|json] [--quiet]',
  options: { format: { type: 'string', short: 'f', default: 'table' }, quiet: { type: 'boolean', short: 'q', default: false } },
  async run(ctx, { values }) {
    const docs = ctx.store.ids().flatMap((id) => {
      try {
        return [stateDocument(ctx.store, ctx.store.read(id))];
      } catch {
        return []; // removed while listing
      }
    });
    if (values.quiet) {
      if (docs.length) stdout(`${docs.map((d) => d.id).join('\n')}\n`);
      return 0;
    }
    if (values.format === 'json') {
      stdout(`${JSON.stringify(docs)}\n`);
      return 0;
    }
    if (values.format !== 'table') throw new TsrunError('usage', `--format: must be table or json, not "${values.format}"`);
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...docs.map((d) => [d.id, String(d.pid ?? 0), d.status, d.bundle, d.created, d.owner])];
    stdout(`${table(rows)}\n`);
    return 0;
  },
};
