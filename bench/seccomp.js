// `node bench/seccomp.js [--runs N] [--cold N]` (npm run bench:seccomp): the cost of the podman/Docker default seccomp
// profile (/usr/share/containers/seccomp.json) to tsrun.
//   1. warm: the profile compiled N times in this process: ms per compile, and the program's size;
//   2. cold: one compile in a fresh process, as each `tsrun create` and `exec` does, on Node and on Bun, against the
//      lookup in the program cache (seccomp/cache.ts) that replaces it once the program is cached;
//   3. with root: `tsrun run` of a busybox `true` under the profile with an empty and with a filled cache, interleaved.
// Prints; never asserts on timings. Needs a build (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSRUN, makeBundle, median, percentile, top } from './lib.js';

const PROFILE = '/usr/share/containers/seccomp.json';
const DIST = join(top, 'dist', 'runtime', 'src', 'seccomp');
const BUN = join(top, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
/** podman's default capabilities: the profile is converted for them, as podman does. */
const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error('usage: node bench/seccomp.js [--runs N] [--cold N]');
    process.exit(2);
  }
  return v;
}
const runs = arg('--runs', 200);
const cold = arg('--cold', 20);

if (!existsSync(PROFILE)) {
  console.error(`bench: no ${PROFILE} (apt-get install golang-github-containers-common)`);
  process.exit(1);
}
if (!existsSync(join(DIST, 'compile.js'))) {
  console.error('bench: tsrun is not built (npm run build)');
  process.exit(1);
}

const { compileSeccomp } = await import(join(DIST, 'compile.js'));
const { fromDockerProfile } = await import(join(DIST, 'docker.js'));
const profile = fromDockerProfile(JSON.parse(readFileSync(PROFILE, 'utf8')), { capabilities: CAPS });
const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return `median ${median(s).toFixed(2)} ms, p90 ${percentile(s, 90).toFixed(2)} ms, min ${s[0].toFixed(2)} ms, n=${s.length}`;
};

// 1. warm
const first = compileSeccomp(profile);
const warm = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  compileSeccomp(profile);
  warm.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
console.log(`${PROFILE}: ${profile.syscalls.length} rules, ${new Set(profile.syscalls.flatMap((s) => s.names)).size} syscall names, x86_64 host with x86 and x32`);
console.log(`program: ${first.program.length / 8} instructions (kernel limit 4096)`);
console.log(`warm compile (${runs} in one process): ${summary(warm)}`);

// 2. cold, per engine: a child process times one compile, or one cache lookup, after its imports
const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-seccomp-'));
try {
  const profileFile = join(work, 'profile.json');
  writeFileSync(profileFile, JSON.stringify(profile));
  const cacheDir = join(work, '@seccomp');
  const child = join(work, 'child.mjs');
  writeFileSync(
    child,
    `import { readFileSync } from 'node:fs';
const { compileSeccomp } = await import(${JSON.stringify(join(DIST, 'compile.js'))});
const { compileCached } = await import(${JSON.stringify(join(DIST, 'cache.js'))});
const profile = JSON.parse(readFileSync(${JSON.stringify(profileFile)}, 'utf8'));
const t0 = performance.now();
if (process.argv[2] === 'cached') compileCached(profile, 'SCMP_ARCH_X86_64', ${JSON.stringify(cacheDir)});
else compileSeccomp(profile, 'SCMP_ARCH_X86_64');
console.log(performance.now() - t0);
`,
  );
  mkdirSync(cacheDir);
  const engines = [['node', process.execPath], ...(existsSync(BUN) ? [['bun', BUN]] : [])];
  for (const [name, bin] of engines) {
    const samples = { compile: [], cached: [] };
    spawnSync(bin, [child, 'cached']); // fills the cache
    for (let i = 0; i < cold; i++) {
      for (const mode of ['compile', 'cached']) {
        const r = spawnSync(bin, [child, mode], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${name} ${mode}: ${r.stderr}`);
        samples[mode].push(Number(r.stdout));
      }
    }
    console.log(`cold compile, ${name} (one per fresh process): ${summary(samples.compile)}`);
    console.log(`cold cache hit, ${name} (hash + read instead):  ${summary(samples.cached)}`);
  }

  // 3. end to end
  if (process.getuid?.() !== 0) {
    console.log('tsrun run: skipped (needs root)');
  } else {
    const bundle = join(work, 'bundle');
    makeBundle(bundle);
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.linux.seccomp = profile;
    config.process.capabilities = { bounding: CAPS, effective: CAPS, permitted: CAPS };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const root = join(work, 'root');
    const samples = { empty: [], filled: [] };
    const e2eRuns = Math.max(5, Math.min(cold, 20));
    for (let i = 0; i < e2eRuns + 2; i++) {
      for (const mode of ['empty', 'filled']) {
        if (mode === 'empty') rmSync(join(root, '@seccomp'), { recursive: true, force: true });
        const t0 = process.hrtime.bigint();
        const r = spawnSync(TSRUN, ['--root', root, 'run', '--bundle', bundle, `bs${process.pid}-${i}-${mode}`], { stdio: 'ignore' });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status !== 0) throw new Error(`tsrun run under the profile failed with ${r.status ?? r.signal}`);
        if (i >= 2) samples[mode].push(ms);
      }
    }
    console.log(`tsrun run \`true\` under the profile, empty cache:  ${summary(samples.empty)}`);
    console.log(`tsrun run \`true\` under the profile, filled cache: ${summary(samples.filled)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
