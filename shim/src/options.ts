// tsrun-shim's flags, parsed by hand: no yargs in a process that lives per container, and not node:util's
// parseArgs either (on Bun, loading node:util costs each shim ~0.6 MB). Same rules as parseArgs strict mode:
// `--flag value` or `--flag=value`, known flags only, no positionals.
import * as path from 'node:path';
import { existsSync } from 'node:fs';

export interface ShimOptions {
  id: string;
  bundle: string;
  namespace: string;
  stateDir: string;
  /** The supervisor's socket; kept for the record (events reach it through Subscribe). */
  address: string;
  runtime: string;
  runtimeRoot?: string;
  logMaxSize: number;
}

export const USAGE = `usage: tsrun-shim start  --id ID --bundle DIR --namespace NS --state-dir DIR [--address SOCK] [--runtime PATH] [--runtime-root DIR] [--log-max-size BYTES]
       tsrun-shim delete --id ID --bundle DIR --state-dir DIR [--runtime PATH] [--runtime-root DIR]`;

/** This repository's bin/tsrun, found upwards from this module (dist/ or a bundle). */
function defaultRuntime(): string {
  for (let dir = path.dirname(decodeURIComponent(new URL(import.meta.url).pathname)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'bin', 'tsrun'))) return path.join(dir, 'bin', 'tsrun');
    if (path.dirname(dir) === dir) return 'tsrun';
  }
}

export class UsageError extends Error {}

const FLAGS = ['id', 'bundle', 'namespace', 'state-dir', 'address', 'runtime', 'runtime-root', 'log-max-size'] as const;
type Flag = (typeof FLAGS)[number];

function parseFlags(args: string[]): Partial<Record<Flag, string>> {
  const v: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) throw new UsageError(`Unexpected argument '${a}': tsrun-shim takes flags only`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (!(FLAGS as readonly string[]).includes(name)) throw new UsageError(`Unknown option '--${name}'`);
    const value = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`Option '--${name} <value>' argument missing`);
    v[name as Flag] = value;
  }
  return v;
}

export function parseOptions(args: string[], need: ('namespace')[] = []): ShimOptions {
  const v = parseFlags(args);
  for (const k of ['id', 'bundle', 'state-dir', ...need] as const) if (!v[k]) throw new UsageError(`--${k} is required`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}$/.test(v.id as string)) throw new UsageError(`--id "${v.id}": letters, digits, '_', '+', '.', '-', not starting with a symbol`);
  const max = v['log-max-size'] ?? '0';
  if (!/^\d+$/.test(max)) throw new UsageError(`--log-max-size "${max}": a number of bytes`);
  return {
    id: v.id as string,
    bundle: path.resolve(v.bundle as string),
    namespace: v.namespace ?? 'default',
    stateDir: path.resolve(v['state-dir'] as string),
    address: v.address ?? '',
    runtime: v.runtime ? path.resolve(v.runtime) : defaultRuntime(),
    ...(v['runtime-root'] ? { runtimeRoot: path.resolve(v['runtime-root']) } : {}),
    logMaxSize: Number(max),
  };
}

export const files = (o: ShimOptions) => ({
  socket: path.join(o.stateDir, 'shim.sock'),
  journal: path.join(o.stateDir, 'events.log'),
  log: path.join(o.stateDir, 'shim.log'),
  address: path.join(o.bundle, 'shim.address'),
  pid: path.join(o.bundle, 'shim.pid'),
});
