// The tsrun-shim program (bin/tsrun-shim); Bun runs the same through the .mjs that scripts/bundle.js writes.
import { run } from './main.js';

await run(process.argv.slice(2));
