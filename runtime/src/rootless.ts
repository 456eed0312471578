// Running tsrun as an unprivileged user (rootless), the decisions runc 1.1 makes for it:
// - the state lives under $XDG_RUNTIME_DIR/tsrun when not root and --root is not given (runc: $XDG_RUNTIME_DIR/runc);
// - --rootless true|false|auto (auto: not root) says whether cgroups may be skipped where they are not writable;
// - uid_map/gid_map: an unprivileged process may write one line mapping its own id, and gid_map only after writing
//   "deny" to setgroups; anything more (ranges from /etc/subuid and /etc/subgid) goes through the setuid helpers
//   newuidmap/newgidmap (Debian package uidmap), which check those files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IdMapping } from './config/spec.js';
import { TsrunError } from './errors.js';

export const SYSTEM_ROOT = '/run/tsrun';

/** Where state lives when --root is not given. */
export function defaultRoot(env: NodeJS.ProcessEnv, euid: number): string {
  const xdg = env.XDG_RUNTIME_DIR;
  return euid !== 0 && xdg ? path.join(xdg, 'tsrun') : SYSTEM_ROOT;
}

/** runc's global --rootless: "true", "false" or "auto" (the default: rootless when not root). */
export function isRootless(flag: string | undefined, euid: number): boolean {
  switch (flag ?? 'auto') {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'auto':
      return euid !== 0;
    default:
      throw new TsrunError('usage', `--rootless: must be true, false or auto, not "${flag}"`);
  }
}

/** How the parent stage writes the maps of a new user namespace (the clone op's uidTool, gidTool and setgroups). */
export interface IdMapWriters {
  /** newuidmap's path, or '' to write /proc/<pid>/uid_map directly. */
  uidTool: string;
  gidTool: string;
  /** "deny" when gid_map is written directly by an unprivileged process (the kernel requires it). */
  setgroups: 'deny' | '';
}

const ownOnly = (maps: IdMapping[] | undefined, id: number): boolean =>
  maps?.length === 1 && maps[0]?.hostID === id && maps[0]?.size === 1;

/** The first executable `name` in the usual places (a setuid helper is looked up in fixed dirs, not $PATH). */
export function findTool(name: string, dirs = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']): string | undefined {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Root writes both maps itself. An unprivileged caller writes a map itself only when it is the one line mapping its
 * own id with size 1 (gid_map then needs setgroups "deny"); any other map needs newuidmap/newgidmap.
 */
export function idMapWriters(
  maps: { uid?: IdMapping[]; gid?: IdMapping[] },
  ids: { euid: number; egid: number },
  find: (name: string) => string | undefined = findTool,
): IdMapWriters {
  if (ids.euid === 0) return { uidTool: '', gidTool: '', setgroups: '' };
  const tool = (name: string, field: string, what: string): string => {
    const found = find(name);
    if (found) return found;
    throw new TsrunError(
      'invalid_config',
      `config.json: linux.${field}: as uid ${ids.euid}, a mapping other than your own ${what} alone needs ${name} (Debian package uidmap) and a range in /etc/sub${what}`,
    );
  };
  const uidTool = ownOnly(maps.uid, ids.euid) ? '' : tool('newuidmap', 'uidMappings', 'uid');
  const gidTool = ownOnly(maps.gid, ids.egid) ? '' : tool('newgidmap', 'gidMappings', 'gid');
  return { uidTool, gidTool, setgroups: gidTool === '' && (maps.gid?.length ?? 0) > 0 ? 'deny' : '' };
}
