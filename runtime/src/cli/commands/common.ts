import { TsrunError } from '../../errors.js';
import { validateId } from '../../state/store.js';

export function oneId(positionals: string[]): string {
  if (positionals.length !== 1) throw new TsrunError('usage', `expected exactly one container id, got ${positionals.length}`);
  const id = positionals[0] as string;
  validateId(id);
  return id;
}
