// Resolves a container path to a host path inside the rootfs, following symlinks as the container would see
// them (absolute links and ".." are clamped at the rootfs). Only for reading small files at plan time
// (/etc/passwd); the native stage resolves mount targets itself with openat2(RESOLVE_IN_ROOT).
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAX_LINKS = 40;

export function resolveInRoot(root: string, p: string): string {
  let parts = p.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const name = parts.shift() as string;
    if (name === '.') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch {
      return path.join(root, ...done, name, ...parts);
    }
    if (!st.isSymbolicLink()) {
      done.push(name);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`${p}: too many levels of symbolic links`);
    const target = fs.readlinkSync(host);
    const rest = target.split('/').filter(Boolean);
    if (target.startsWith('/')) done.length = 0;
    parts = [...rest, ...parts];
  }
  return path.join(root, ...done);
}

/** Reads a small regular file from inside the rootfs; undefined when it is missing or not a regular file. */
export function readInRoot(root: string, p: string, limit = 1 << 20): string | undefined {
  try {
    const host = resolveInRoot(root, p);
    const st = fs.lstatSync(host);
    if (!st.isFile() || st.size > limit) return undefined;
    return fs.readFileSync(host, 'utf8');
  } catch {
    return undefined;
  }
}
