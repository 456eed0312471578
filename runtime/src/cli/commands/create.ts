import { createContainer, planFor } from '../../container/create.js';
import { TsrunError } from '../../errors.js';
import { validateId } from '../../state/store.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';

export const createOptions = {
  bundle: { type: 'string', short: 'b', default: '.' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'preserve-fds': { type: 'string', default: '0' },
  'no-pivot': { type: 'boolean', default: false },
  'no-new-keyring': { type: 'boolean', default: false },
} as const;

export function createArgs(values: Record<string, unknown>, positionals: string[]) {
  if (positionals.length !== 1) throw new TsrunError('usage', `expected exactly one container id, got ${positionals.length}`);
  const id = positionals[0] as string;
  validateId(id);
  const preserve = String(values['preserve-fds'] ?? '0');
  if (!/^\d+$/.test(preserve)) throw new TsrunError('usage', `--preserve-fds: must be a number, not "${preserve}"`);
  return {
    id,
    bundle: String(values.bundle ?? '.'),
    pidFile: values['pid-file'] as string | undefined,
    consoleSocket: values['console-socket'] as string | undefined,
    preserveFds: Number(preserve),
    noPivot: Boolean(values['no-pivot']),
    noNewKeyring: Boolean(values['no-new-keyring']),
  };
}

export const command: Command = {
  usage: 'create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] [--no-pivot] [--no-new-keyring] [--dry-run] <container-id>',
  options: { ...createOptions, 'dry-run': { type: 'boolean', default: false } },
  async run(ctx, { values, positionals }) {
    const o = createArgs(values, positionals);
    if (values['dry-run']) {
      const { plan } = await planFor(ctx, o);
      stdout(`${JSON.stringify(plan, null, 2)}\n`);
      return 0;
    }
    await createContainer(ctx, o);
    return 0;
  },
};
