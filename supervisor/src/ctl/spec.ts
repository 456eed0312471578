// The OCI spec tsctl gives a container it creates: tsrun's default (as `tsrun spec`, like `runc spec`) with the
// command, environment, working directory and terminal asked for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultSpec } from '../../../runtime/src/config/default-spec.js';
import type { Spec } from '../../../runtime/src/config/spec.js';

export interface SpecOptions {
  config?: string;
  args: string[];
  env: string[];
  cwd?: string;
  tty: boolean;
}

function withEnv(env: string[] | undefined, add: string[]): string[] {
  let out = env ?? [];
  for (const kv of add) {
    const key = kv.split('=')[0];
    out = [...out.filter((e) => e.split('=')[0] !== key), kv];
  }
  return out;
}

export function makeSpec(o: SpecOptions): Spec {
  const spec: Spec = o.config ? (JSON.parse(fs.readFileSync(path.resolve(o.config), 'utf8')) as Spec) : defaultSpec({ rootless: false, uid: 0, gid: 0 });
  spec.process ??= { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } };
  const p = spec.process;
  if (o.args.length) p.args = o.args;
  p.terminal = o.tty;
  if (o.cwd) p.cwd = o.cwd;
  p.env = withEnv(p.env, o.env);
  return spec;
}

/** An exec's process: the container's own process (user, capabilities, ...) with another command. */
export function execProcess(containerSpec: string, o: Omit<SpecOptions, 'config'>): object {
  const base = (JSON.parse(containerSpec) as Spec).process ?? { args: [], cwd: '/', user: { uid: 0, gid: 0 } };
  return { ...base, args: o.args, terminal: o.tty, cwd: o.cwd || base.cwd, env: withEnv(base.env, o.env) };
}
