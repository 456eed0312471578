// Reads an OCI bundle's config.json (and exec's process.json): parse, schema-validate, then the rules a schema
// cannot express. Everything after this takes a Spec that passed both, so the messages here are the ones a user
// sees for a broken bundle: one line each, naming the file and the field.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Process, Spec } from './spec.js';
import { ConfigError } from './errors.js';
import { CONFIG, type RawBundle, readBundle, readJson } from './read.js';
import { validateDocument } from './validate.js';
import { parseProfile } from '../seccomp/rules.js';

export { type RawBundle, readBundle };

export interface Bundle {
  spec: Spec;
  /** Absolute, symlinks resolved. */
  bundle: string;
  /** root.path resolved against the bundle. */
  rootfs: string;
}

export interface LoadOptions {
  /** config.md: process 'is REQUIRED when start is called'; create needs it. Default true. */
  requireProcess?: boolean;
}


export async function loadBundle(bundleDir: string, options: LoadOptions = {}): Promise<Bundle> {
  return verifyBundle(await readBundle(bundleDir), options);
}

/** Second half of loadBundle: schema validation, the checks a schema cannot express, the rootfs. */
export async function verifyBundle({ bundle, doc }: RawBundle, options: LoadOptions = {}): Promise<Bundle> {
  const spec = doc as Spec;
  validateDocument('config', spec, CONFIG);
  checkSpec(spec, options.requireProcess ?? true);
  if (spec.process) defaultUser(spec.process);

  if (!spec.root) throw ConfigError.at(CONFIG, 'root', 'required to create a container');
  const rootfs = resolve(bundle, spec.root.path);
  if (!(await isDirectory(rootfs))) throw ConfigError.at(CONFIG, 'root.path', `${rootfs}: no such directory`);
  return { spec, bundle, rootfs };
}

export async function loadProcess(file: string): Promise<Process> {
  const proc = (await readJson(resolve(file), file)) as Process;
  validateDocument('process', proc, file);
  defaultUser(proc);
  return proc;
}



async function isDirectory(path: string): Promise<boolean> {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// config.md: the POSIX user's uid and gid are REQUIRED, but a process without any user object passes the
// schemas (the upstream FreeBSD fixture has none). runc reads that as uid 0, gid 0 (Go's zero values); so do we,
// here, so that the Spec type's `user: User` holds for everything downstream.
function defaultUser(proc: Process): void {
  proc.user ??= { uid: 0, gid: 0 };
}

/** Rules of config.md and config-linux.md that the schema cannot express; each throws one ConfigError. */
function checkSpec(spec: Spec, requireProcess: boolean): void {
  if (requireProcess && !spec.process) throw ConfigError.at(CONFIG, 'process', 'required to create a container');

  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const seen = new Set<string>();
  for (const ns of namespaces) {
    // config-linux.md: 'If a namespaces field contains duplicated namespaces with same type, the runtime MUST
    // generate an error.'
    if (seen.has(ns.type)) throw ConfigError.at(CONFIG, 'linux.namespaces', `duplicate namespace type "${ns.type}"`);
    seen.add(ns.type);
  }

  // A new user namespace needs both maps (nothing would be mapped otherwise, and every later step fails with
  // EINVAL/EPERM far from the cause); maps without any user namespace have nothing to apply to (runc: same).
  const userNs = namespaces.find((ns) => ns.type === 'user');
  for (const field of ['uidMappings', 'gidMappings'] as const) {
    const maps = linux[field];
    if (!userNs && maps !== undefined) throw ConfigError.at(CONFIG, `linux.${field}`, 'given without a user namespace');
    if (userNs && userNs.path === undefined && (maps === undefined || maps.length === 0)) {
      throw ConfigError.at(CONFIG, `linux.${field}`, 'required with a new user namespace');
    }
  }

  // config.md idmap/ridmap: 'If there are no uidMappings and gidMappings specified and the container isn't using
  // user namespaces, an error MUST be returned.'
  (spec.mounts ?? []).forEach((m, i) => {
    const option = (m.options ?? []).find((o) => o === 'idmap' || o === 'ridmap');
    if (option && !m.uidMappings && !m.gidMappings && !userNs) {
      throw ConfigError.at(CONFIG, `mounts[${i}].options`, `"${option}" needs uidMappings and gidMappings or a user namespace`);
    }
  });

  // linux.seccomp: what the schema cannot say (errnoRet only with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, listenerPath with
  // SCMP_ACT_NOTIFY, ...) is checked by the compiler's own validator, the one place these rules live
  if (linux.seccomp) parseProfile(linux.seccomp);
}
