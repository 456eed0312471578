// Reading a bundle's config.json without validating it: kept apart from load.ts so that create can start its
// slow cgroup work before the validators (a large generated module) are even loaded.
// Synchronous fs on purpose: a short-lived CLI gains nothing from the thread pool, and create keeps that pool busy
// with cgroup writes meanwhile (see container/create.ts).
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';

export const CONFIG = 'config.json';

/** A bundle's config.json read and parsed, not yet validated. */
export interface RawBundle {
  bundle: string;
  doc: unknown;
}

/** First half of loadBundle: find the bundle and parse its config.json. */
export async function readBundle(bundleDir: string): Promise<RawBundle> {
  const given = resolve(bundleDir);
  let bundle: string;
  try {
    bundle = realpathSync(given);
  } catch (err) {
    throw new ConfigError(`bundle ${given}: ${describe(err, 'no such directory')}`, { file: given }, { cause: err });
  }
  if (!statSync(bundle).isDirectory()) throw new ConfigError(`bundle ${given}: not a directory`, { file: given });
  return { bundle, doc: await readJson(join(bundle, CONFIG), CONFIG) };
}

export async function readJson(path: string, name: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: ${describe(err, 'no such file')}`, { file: name }, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
    throw new ConfigError(`${name}: invalid JSON: ${reason}`, { file: name }, { cause: err });
  }
}

function describe(err: unknown, enoent: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return enoent;
  if (code === 'EISDIR') return 'is a directory, not a file';
  return code ?? String(err);
}
