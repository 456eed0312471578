// Bundles the tsrun CLI into one file per engine, because every container operation pays for the CLI's start:
// for Bun with precompiled bytecode, for Node as one ESM file. koffi stays outside (it has a native module).
// The bundles sit next to main.js so that paths relative to import.meta.url (the native stage) still resolve.
// Without Bun (an optional dependency) there is no bundler: bin/tsrun and bin/tsrun-shim then run the unbundled main.js.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const bun = 'node_modules/@oven/bun-linux-x64/bin/bun';
if (!existsSync(bun)) {
  console.warn('bundle: Bun is not installed; bin/tsrun will run the unbundled CLI');
  process.exit(0);
}
// tsrun-shim (bin/tsrun-shim) the same way: one per container, so its start and memory count too.
const programs = [
  ['dist/runtime/src/cli/main.js', 'dist/runtime/src/cli', 'tsrun'],
  ['dist/shim/src/main.js', 'dist/shim/src', 'tsrun-shim'],
];
for (const [entry, outdir, name] of programs) {
  const common = ['build', entry, '--outdir', outdir, '--external', 'koffi'];
  for (const [target, extra] of [
    ['bun', ['--target=bun', '--bytecode', '--format=cjs', '--entry-naming', `${name}.bun.[ext]`]],
    ['node', ['--target=node', '--format=esm', '--entry-naming', `${name}.node.mjs`]],
  ]) {
    const r = spawnSync(bun, [...common, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) {
      console.error(`bundle: bun build of ${name} for ${target} failed`);
      process.exit(1);
    }
  }
}
// tsctl for Bun with bytecode: one process per command, so its start is most of its cost. yargs's apply-extends
// calls import.meta.resolve, which a CJS bundle (the only format Bun's bytecode takes without --compile) rejects;
// it only runs for a config's `extends` key, which tsctl never reads, and require.resolve does the same there.
// Node runs the unbundled main.js: a Node bundle saved it nothing measurable (README, "tsrund and tsctl").
{
  const args = ['build', 'dist/supervisor/src/ctl/main.js', '--outdir', 'dist/supervisor/src/ctl', '--target=bun', '--bytecode', '--format=cjs',
    '--define', 'import.meta.resolve=require.resolve', '--entry-naming', 'tsctl.bun.[ext]'];
  const r = spawnSync(bun, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error('bundle: bun build of tsctl failed');
    process.exit(1);
  }
}
