// /dev contents: the default devices every container gets (runtime-linux.md / config-linux.md "Default Devices"),
// linux.devices, and the standard symlinks. Inside a user namespace mknod is not allowed, so devices are
// bind-mounted from the host instead (as runc does).
import type { Device } from '../config/spec.js';
import type { Op } from '../plan/ops.js';
import { TsrunError } from '../errors.js';
import { MS } from './mount-options.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export const DEFAULT_DEVICES: readonly Required<Pick<Device, 'path' | 'type' | 'major' | 'minor' | 'fileMode'>>[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666 },
];

function typeBits(d: Device, i: number): number {
  switch (d.type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      throw new TsrunError('invalid_config', `config.json: linux.devices[${i}].type: unknown device type "${d.type}"`);
  }
}

export function planDevices(devices: readonly Device[], userns: boolean): Op[] {
  const byPath = new Map<string, Device>();
  for (const d of DEFAULT_DEVICES) byPath.set(d.path, d);
  for (const d of devices) byPath.set(d.path, d);
  const ops: Op[] = [];
  let i = -1;
  for (const d of byPath.values()) {
    i = devices.indexOf(d);
    if (d.path === '/dev/ptmx') continue; // always the devpts symlink below
    const mode = typeBits(d, i) | ((d.fileMode ?? 0o666) & 0o7777);
    if (userns) {
      ops.push({ op: 'mount', scope: 'rootfs', source: d.path, target: d.path, fstype: '', flags: MS.BIND, data: '', create: 'file' });
    } else {
      if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) {
        throw new TsrunError('invalid_config', `config.json: linux.devices[${i}]: major and minor are required for type "${d.type}"`);
      }
      ops.push({ op: 'mknod', path: d.path, mode, major: d.major ?? 0, minor: d.minor ?? 0, uid: d.uid ?? 0, gid: d.gid ?? 0 });
    }
  }
  return ops;
}

export function planDevSymlinks(): Op[] {
  return [
    { op: 'symlink', target: 'pts/ptmx', path: '/dev/ptmx' },
    { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
    { op: 'symlink', target: '/proc/self/fd/0', path: '/dev/stdin' },
    { op: 'symlink', target: '/proc/self/fd/1', path: '/dev/stdout' },
    { op: 'symlink', target: '/proc/self/fd/2', path: '/dev/stderr' },
  ];
}
