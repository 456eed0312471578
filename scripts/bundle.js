// Bundles the tsrun CLI and tsrun-shim per engine, because every container operation pays for the CLI's start:
// for Bun with precompiled bytecode, for Node as one ESM file. koffi stays outside (it has a native module).
// Without Bun (an optional dependency) there is no bundler: bin/tsrun and bin/tsrun-shim then run the unbundled
// main.js and cli.js.
//
// tsrun on Bun is one bundle for main.js plus one per command (dist/runtime/bun/tsrun.js, commands/<verb>.js), as
// Bun cannot split a bytecode bundle: loading the bytecode of every command cost ~3 ms of each start, while main
// requires only its command's bundle from ./commands/ at run time (cli/registry.ts). Bun's bundler bakes
// import.meta.url in as the source file's URL, so code that finds the native stage from it works from any bundle.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const bun = 'node_modules/@oven/bun-linux-x64/bin/bun';
if (!existsSync(bun)) {
  console.warn('bundle: Bun is not installed; bin/tsrun will run the unbundled CLI');
  process.exit(0);
}

function build(what, args) {
  const r = spawnSync(bun, ['build', ...args, '--external', 'koffi'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`bundle: bun build of ${what} failed`);
    process.exit(1);
  }
}

const BUN = ['--target=bun', '--bytecode', '--format=cjs'];
const cli = 'dist/runtime/src/cli';
const commands = readdirSync(`${cli}/commands`).filter((f) => f.endsWith('.js') && f !== 'common.js').map((f) => `${cli}/commands/${f}`);
build('tsrun for bun', [`${cli}/main.js`, '--outdir', 'dist/runtime/bun', '--external', './commands/*', '--entry-naming', 'tsrun.[ext]', ...BUN]);
build('tsrun commands for bun', [...commands, '--root', cli, '--outdir', 'dist/runtime/bun', ...BUN]);
build('tsrun for node', [`${cli}/main.js`, '--outdir', cli, '--target=node', '--format=esm', '--entry-naming', 'tsrun.node.mjs']);
// tsrun-shim (bin/tsrun-shim) the same way, through Bun's build API (scripts/bundle-shim.js): one per container, so
// its start and memory count too.
if (spawnSync(bun, ['scripts/bundle-shim.js'], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
  console.error('bundle: bun build of tsrun-shim for bun failed');
  process.exit(1);
}
build('tsrun-shim for node', ['dist/shim/src/cli.js', '--outdir', 'dist/shim/src', '--target=node', '--format=esm', '--entry-naming', 'tsrun-shim.node.mjs']);
// tsctl for Bun with bytecode: one process per command, so its start is most of its cost. yargs's apply-extends
// calls import.meta.resolve, which a CJS bundle (the only format Bun's bytecode takes without --compile) rejects;
// it only runs for a config's `extends` key, which tsctl never reads, and require.resolve does the same there.
// Node runs the unbundled main.js: a Node bundle saved it nothing measurable (README, "tsrund and tsctl").
build('tsctl for bun', ['dist/supervisor/src/ctl/main.js', '--outdir', 'dist/supervisor/src/ctl', ...BUN, '--define', 'import.meta.resolve=require.resolve', '--entry-naming', 'tsctl.bun.[ext]']);
