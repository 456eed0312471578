// Runs one scenario of io-scenarios.ts and prints its result as JSON: io.test.ts runs it on Bun, the engine the
// shim runs on. Usage: bun io-driver.js <scenario> <dir>
import { scenarios } from './io-scenarios.js';

const [name = '', dir = ''] = process.argv.slice(2);
const scenario = scenarios[name];
if (!scenario || !dir) {
  process.stderr.write(`usage: io-driver <${Object.keys(scenarios).join('|')}> <dir>\n`);
  process.exit(2);
}
scenario(dir).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
