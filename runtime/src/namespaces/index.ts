// linux.namespaces -> clone flags for new namespaces and setns ops for joined ones (user namespace first).
import type { IdMapping, Linux, NamespaceType } from '../config/spec.js';
import type { Op } from '../plan/ops.js';
import { TsrunError } from '../errors.js';

export const CLONE_FLAGS = {
  mount: 0x00020000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  cgroup: 0x02000000,
  time: 0x00000080,
} as const satisfies Record<NamespaceType, number>;

/** Order in which namespaces given by path are joined: user first, so the others are joined with its rights. */
const JOIN_ORDER: readonly NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespacePlan {
  parentOps: Op[];
  cloneFlags: number;
  newNs: Set<NamespaceType>;
  joined: Set<NamespaceType>;
  uidMap: string;
  gidMap: string;
}

export function idMapText(maps: IdMapping[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function timeOffsets(linux: Linux): string {
  const offsets = linux.timeOffsets ?? {};
  return Object.entries(offsets)
    .map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`)
    .join('');
}

export function planNamespaces(linux: Linux): NamespacePlan {
  const namespaces = linux.namespaces ?? [];
  const seen = new Set<NamespaceType>();
  for (const ns of namespaces) {
    if (seen.has(ns.type)) throw new TsrunError('invalid_config', `config.json: linux.namespaces: duplicate namespace type "${ns.type}"`);
    seen.add(ns.type);
  }
  const joined = new Set(namespaces.filter((n) => n.path).map((n) => n.type));
  const newNs = new Set(namespaces.filter((n) => !n.path).map((n) => n.type));
  const parentOps: Op[] = [];
  for (const type of JOIN_ORDER) {
    const ns = namespaces.find((n) => n.type === type && n.path);
    if (ns?.path) parentOps.push({ op: 'setns', path: ns.path, nstype: CLONE_FLAGS[type] });
  }
  let cloneFlags = 0;
  for (const type of newNs) if (type !== 'time') cloneFlags |= CLONE_FLAGS[type];
  if (newNs.has('time')) parentOps.push({ op: 'unshare_time', offsets: timeOffsets(linux) });
  else if (linux.timeOffsets && Object.keys(linux.timeOffsets).length > 0) {
    throw new TsrunError('invalid_config', 'config.json: linux.timeOffsets: requires a new time namespace');
  }
  const userNew = newNs.has('user');
  const hasMaps = (linux.uidMappings?.length ?? 0) > 0 || (linux.gidMappings?.length ?? 0) > 0;
  if (userNew && !hasMaps) {
    throw new TsrunError('invalid_config', 'config.json: linux.uidMappings: required with a new user namespace');
  }
  if (!userNew && hasMaps) {
    throw new TsrunError('invalid_config', 'config.json: linux.uidMappings: given without a new user namespace');
  }
  return {
    parentOps,
    cloneFlags,
    newNs,
    joined,
    uidMap: userNew ? idMapText(linux.uidMappings) : '',
    gidMap: userNew ? idMapText(linux.gidMappings) : '',
  };
}
