// Bundles the tsrun CLI, tsrun-shim and tsctl per engine, because every container operation pays for their start:
// for Bun one compiled program with precompiled bytecode (scripts/bundle-bun.js, dist/bun/), for Node tsrun and the
// shim as one ESM file each. koffi stays outside (it has a native module). Without Bun (an optional dependency)
// there is no bundler: the launchers in bin/ then run the unbundled JavaScript on Node.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

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

const cli = 'dist/runtime/src/cli';
// bundles of earlier builds, which dist/bun/tsrun replaces
for (const old of ['dist/runtime/bun', 'dist/shim/src/tsrun-shim.bun.js', 'dist/shim/src/tsrun-shim.bun.js.jsc', 'dist/shim/src/tsrun-shim.bun.mjs', 'dist/supervisor/src/ctl/tsctl.bun.js', 'dist/supervisor/src/ctl/tsctl.bun.js.jsc']) {
  rmSync(old, { recursive: true, force: true });
}
build('tsrun for node', [`${cli}/main.js`, '--outdir', cli, '--target=node', '--format=esm', '--entry-naming', 'tsrun.node.mjs']);
if (spawnSync(bun, ['scripts/bundle-bun.js'], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
  console.error('bundle: bun build of dist/bun/tsrun failed');
  process.exit(1);
}
build('tsrun-shim for node', ['dist/shim/src/cli.js', '--outdir', 'dist/shim/src', '--target=node', '--format=esm', '--entry-naming', 'tsrun-shim.node.mjs']);
