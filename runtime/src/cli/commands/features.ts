import { features } from '../../config/features.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';

export const command: Command = {
  usage: 'features',
  options: {},
  async run() {
    stdout(`${JSON.stringify(features(), null, 2)}\n`);
    return 0;
  },
};
