// Run by scripts/bundle.js with Bun (`bun scripts/bundle-shim.js`): tsrun-shim's Bun bundle, through Bun's build API
// because the CLI has no way to swap a module. One shim runs per container, so its memory is what counts:
// - `long` is replaced by shim/src/rpc/long.ts (why: there), which drops long.js and its WebAssembly module;
// - rpc/messages.js is replaced by messages-server.js, the codecs of the shim's own side only
//   (scripts/gen-shim-proto.js);
// - whitespace and syntax are minified: Bun keeps the bundle's source and its bytecode in memory for the shim's
//   whole life (~0.1 MB less per shim). Names are kept, so stack traces and errors still read.
// Bun's bytecode needs CommonJS, which has no top-level await, so the bundle is main.js (exporting run) and the
// entry is a one-line ES module that awaits it (why it must: shim/src/main.ts, run).
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const longAdapter = resolve('dist/shim/src/rpc/long.js');
const proto = resolve('dist/shim/src/rpc/proto.js');

const result = await Bun.build({
  entrypoints: ['dist/shim/src/main.js'],
  outdir: 'dist/shim/src',
  naming: 'tsrun-shim.bun.[ext]',
  target: 'bun',
  format: 'cjs',
  bytecode: true,
  minify: { whitespace: true, syntax: true },
  external: ['koffi'],
  plugins: [
    {
      name: 'long-over-bigint',
      setup(build) {
        // protobufjs requires('long') (CommonJS) and takes the module itself as the class.
        build.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'long-over-bigint' }));
        build.onLoad({ filter: /.*/, namespace: 'long-over-bigint' }, () => ({
          contents: `module.exports = require(${JSON.stringify(longAdapter)}).default;`,
          loader: 'js',
        }));
      },
    },
    {
      name: 'server-side-codecs',
      setup(build) {
        build.onResolve({ filter: /^\.\/messages\.js$/ }, (args) =>
          args.importer === proto ? { path: resolve(dirname(proto), 'messages-server.js') } : undefined,
        );
      },
    },
  ],
});
if (!result.success) {
  for (const m of result.logs) console.error(String(m));
  process.exit(1);
}
writeFileSync('dist/shim/src/tsrun-shim.bun.mjs', "await require('./tsrun-shim.bun.js').run(process.argv.slice(2));\n");
