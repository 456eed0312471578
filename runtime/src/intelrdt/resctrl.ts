// linux.intelRdt (config-linux.md "IntelRdt"): the container's processes in a resctrl group. Every function takes
// the resctrl mount point, so the unit tests run on a directory of plain files; only resctrlRoot() reads the host.
//
//   closID unset          the group is <root>/<container id>, made here (it must not exist) and removed on delete
//   closID "/"            the default group, the root itself
//   closID with schemata  made with them when missing; when it exists its schemata must match
//   closID, no schemata   must exist already (pre-configured)
//   enableMonitoring      a MON group <group>/mon_groups/<container id>, made here and removed on delete
//
// The schemata lines are written in the spec's order (l3CacheSchema, memBwSchema, then schemata) in one write. The
// process joins through the parent stage of the native stage writing to the tasks file (op join_resctrl): the
// container init is cloned from it and inherits the group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsrunError } from '../errors.js';

export interface IntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
}

export interface RdtGroup {
  /** The CTRL_MON group's directory. */
  dir: string;
  /** This container made (and delete removes) dir: closID unset. */
  own: boolean;
  lines: string[];
  /** The MON group made for enableMonitoring. */
  mon?: string;
  /** The tasks file the process joins. */
  tasks: string;
}

function bad(field: string, why: string): never {
  throw new TsrunError('invalid_config', `config.json: linux.intelRdt${field}: ${why}`);
}

function failed(field: string, why: string): never {
  throw new TsrunError('create_failed', `config.json: linux.intelRdt${field}: ${why}`);
}

/** The resctrl mount point in the runtime's mount namespace; its absence is an error (spec). */
export function resctrlRoot(mountinfo = (() => fs.readFileSync('/proc/self/mountinfo', 'utf8'))()): string {
  for (const line of mountinfo.split('\n')) {
    // mountinfo: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const [left, right] = line.split(' - ');
    if (right?.split(' ')[0] === 'resctrl') {
      const mp = left?.split(' ')[4];
      if (mp) return mp.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    }
  }
  return bad('', 'the resctrl filesystem is not mounted on this host (mount -t resctrl resctrl /sys/fs/resctrl)');
}

// Directories of the resctrl root that are the kernel's own, never a group.
const RESERVED = new Set(['info', 'mon_groups', 'mon_data']);

/** Where the container goes; no filesystem access. */
export function rdtGroup(rdt: IntelRdt, id: string, root: string): RdtGroup {
  const closID = rdt.closID;
  if (closID !== undefined && closID !== '/' && (!closID || closID === '.' || closID === '..' || /[/\n\0]/.test(closID) || RESERVED.has(closID))) {
    bad('.closID', `"${closID}" is not a resctrl group name`);
  }
  const dir = closID === '/' ? root : path.join(root, closID ?? id);
  const lines = [rdt.l3CacheSchema, rdt.memBwSchema, ...(rdt.schemata ?? [])].filter((l): l is string => !!l && l.trim() !== '');
  for (const l of lines) if (!/^\s*[A-Za-z0-9_]+\s*:/.test(l)) bad('.schemata', `"${l}" is not a schemata line like L3:0=7ff`);
  const mon = rdt.enableMonitoring ? path.join(dir, 'mon_groups', id) : undefined;
  return { dir, own: closID === undefined, lines, ...(mon ? { mon } : {}), tasks: path.join(mon ?? dir, 'tasks') };
}

/** "L3:0=07f0;1=1f" -> { resource "L3", domains 0 -> "7f0", 1 -> "1f" }: the kernel pads and spaces its output. */
function parseLine(line: string): { res: string; domains: Map<string, string> } {
  const flat = line.replace(/\s+/g, '');
  const colon = flat.indexOf(':');
  const domains = new Map<string, string>();
  for (const d of flat.slice(colon + 1).split(';')) {
    const [k, v] = d.split('=');
    if (k !== undefined && v !== undefined) domains.set(k, v.toLowerCase().replace(/^0+(?=.)/, ''));
  }
  return { res: flat.slice(0, colon).toUpperCase(), domains };
}

/** The lines of `want` that the group's schemata file does not match. */
export function schemataMismatch(current: string, want: string[]): string[] {
  const have = current.split('\n').filter((l) => l.includes(':')).map(parseLine);
  return want.filter((w) => {
    const p = parseLine(w);
    const line = have.find((h) => h.res === p.res);
    return !line || [...p.domains].some(([k, v]) => line.domains.get(k) !== v);
  });
}

function lastStatus(root: string): string {
  try {
    return fs.readFileSync(path.join(root, 'info', 'last_cmd_status'), 'utf8').trim().split('\n')[0] ?? '';
  } catch {
    return '';
  }
}

/** Makes or checks the group (and MON group); returns an undo for a create that fails later. */
export function setupRdt(g: RdtGroup, root: string): () => void {
  const made: string[] = [];
  const undo = () => {
    for (const d of made.reverse()) {
      try {
        fs.rmdirSync(d);
      } catch {
        // best effort: the create's own error is the one to report
      }
    }
  };
  try {
    const exists = fs.existsSync(g.dir);
    if (g.own && exists) failed('', `${g.dir} exists already (a group named after this container is made by it)`);
    if (!exists && !g.own && g.lines.length === 0) failed('.closID', `${g.dir}: no such resctrl group, and no schemata to make it with`);
    if (!exists) {
      fs.mkdirSync(g.dir);
      made.push(g.dir);
    }
    if (g.lines.length > 0 && (!exists || g.own)) {
      try {
        fs.writeFileSync(path.join(g.dir, 'schemata'), `${g.lines.join('\n')}\n`);
      } catch (e) {
        const why = lastStatus(root);
        failed('.schemata', `write ${path.join(g.dir, 'schemata')}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}${why ? ` (${why})` : ''}`);
      }
    } else if (g.lines.length > 0) {
      const wrong = schemataMismatch(fs.readFileSync(path.join(g.dir, 'schemata'), 'utf8'), g.lines);
      if (wrong.length) failed('.closID', `${g.dir} exists with other schemata than ${wrong.map((l) => `"${l}"`).join(', ')}`);
    }
    if (g.mon) {
      try {
        fs.mkdirSync(g.mon);
      } catch (e) {
        failed('.enableMonitoring', `mkdir ${g.mon}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      made.push(g.mon);
    }
  } catch (e) {
    undo();
    throw e;
  }
  return undo;
}

/** On delete: the MON group, and the group when this container made it (closID unset). */
export function removeRdt(g: RdtGroup): void {
  for (const d of [g.mon, g.own ? g.dir : undefined]) {
    if (!d) continue;
    try {
      fs.rmdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new TsrunError('syscall', `linux.intelRdt: rmdir ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/** The container's group on this host, when the config has linux.intelRdt; an error when resctrl is not mounted. */
export function containerRdt(rdt: unknown, id: string): { group: RdtGroup; root: string } | undefined {
  if (!rdt) return undefined;
  const root = resctrlRoot();
  return { group: rdtGroup(rdt as IntelRdt, id, root), root };
}
