import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultSpec } from '../../config/default-spec.js';
import { TsrunError } from '../../errors.js';
import type { Command } from '../registry.js';

export const command: Command = {
  usage: 'spec [--bundle DIR] [--rootless]',
  options: { bundle: { type: 'string', short: 'b', default: '.' }, rootless: { type: 'boolean', default: false } },
  async run(_ctx, { values }) {
    const dir = String(values.bundle);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TsrunError('usage', `bundle ${dir}: no such directory`);
    const file = path.join(dir, 'config.json');
    const spec = defaultSpec({ rootless: Boolean(values.rootless), uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    try {
      fs.writeFileSync(file, `${JSON.stringify(spec, null, '\t')}\n`, { flag: 'wx', mode: 0o666 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError('exists', `${file} exists: remove it first`);
      throw e;
    }
    return 0;
  },
};
