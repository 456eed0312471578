// process.user and process.env details that runc fills in: HOME from the container's /etc/passwd when the
// config does not set it.
import { readInRoot } from '../rootfs/resolve.js';

export function homeFor(rootfs: string, uid: number): string {
  const passwd = readInRoot(rootfs, '/etc/passwd') ?? '';
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && Number(f[2]) === uid && f[5]) return f[5];
  }
  return '/';
}

export function withDefaults(env: readonly string[], rootfs: string, uid: number, extra: readonly string[]): string[] {
  const out = [...env, ...extra];
  if (!out.some((e) => e.startsWith('HOME='))) out.push(`HOME=${homeFor(rootfs, uid)}`);
  return out;
}

export function envValue(env: readonly string[], key: string): string | undefined {
  const prefix = `${key}=`;
  const found = [...env].reverse().find((e) => e.startsWith(prefix));
  return found?.slice(prefix.length);
}
