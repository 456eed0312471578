// linux.netDevices: host network devices moved into the container's network namespace (config-linux.md "Network
// Devices"), with the rename the spec allows ("%d" in the new name lets the kernel pick a free number). As runc
// does: the device is set down, its permanent global addresses are read, it is moved and renamed in one RTM_NEWLINK
// (`ip link set ... netns PID name NEW`), the addresses are added again inside (the kernel drops them on the move)
// and the device is set up. This runs in tsrun, in the runtime's namespaces, at the init's "netdevices" sync point,
// through the host's iproute2 and util-linux nsenter (never a binary of the container's rootfs).
//
// Delete does nothing: the spec forbids moving devices back. When the namespace dies the kernel returns physical
// devices to the host's namespace and destroys virtual ones.
import * as fs from 'node:fs';
import type { Spec } from '../config/spec.js';
import { TsrunError } from '../errors.js';
import { lazyBuiltin } from '../lazy-builtin.js';

const childProcess = lazyBuiltin<typeof import('node:child_process')>('node:child_process');

/** IFNAMSIZ - 1, and the characters the kernel's dev_valid_name refuses. */
export function validIfName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

function bad(field: string, why: string): never {
  throw new TsrunError('invalid_config', `config.json: ${field}: ${why}`);
}

function failed(field: string, why: string): never {
  throw new TsrunError('create_failed', `config.json: ${field}: ${why}`);
}

/** The config's rules, checked while the plan is compiled (no host lookups). */
export function checkNetDevices(spec: Spec): void {
  const devices = spec.linux?.netDevices;
  if (!devices || Object.keys(devices).length === 0) return;
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === 'network')) bad('linux.netDevices', 'needs a network namespace (linux.namespaces has none): devices are moved into the container\'s');
  const targets = new Map<string, string>();
  for (const [host, d] of Object.entries(devices)) {
    if (!validIfName(host)) bad(`linux.netDevices.${host}`, `"${host}" is not a valid network device name`);
    const name = d.name || host;
    if (!validIfName(name)) bad(`linux.netDevices.${host}.name`, `"${name}" is not a valid network device name`);
    if ((name.match(/%/g) ?? []).length > (name.includes('%d') ? 1 : 0)) bad(`linux.netDevices.${host}.name`, `"${name}": the only template allowed is one "%d"`);
    const other = targets.get(name);
    if (other !== undefined && !name.includes('%d')) bad(`linux.netDevices.${host}.name`, `"${name}" is also the name of ${other} in the container`);
    targets.set(name, host);
  }
}

/** Runs a host command; the fake in the unit tests records them. */
export type Runner = (argv: string[], input?: string) => { status: number; out: string; err: string };

const SEARCH = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function hostBinary(name: string): string {
  for (const dir of SEARCH) if (fs.existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  throw new TsrunError('unsupported', `config.json: linux.netDevices: needs the host's ${name} command (${name === 'ip' ? 'iproute2' : 'util-linux'})`);
}

export const hostRunner: Runner = (argv, input) => {
  const [cmd, ...args] = argv;
  const r = childProcess().spawnSync(hostBinary(cmd ?? ''), args, { input, encoding: 'utf8', env: { PATH: SEARCH.join(':'), LC_ALL: 'C' } });
  return { status: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? r.error?.message ?? '').trim().split('\n')[0] ?? '' };
};

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  dynamic?: boolean;
  broadcast?: string;
}

function links(run: Runner, netns: string[], field: string): { ifname: string; addr_info?: AddrInfo[] }[] {
  const r = run([...netns, 'ip', '-j', 'addr', 'show']);
  if (r.status !== 0) failed(field, `cannot list network devices: ${r.err}`);
  return JSON.parse(r.out || '[]') as { ifname: string; addr_info?: AddrInfo[] }[];
}

/** Moves every device of linux.netDevices into the network namespace of process `pid`. */
export function moveNetDevices(devices: Record<string, { name?: string }>, pid: number, run: Runner = hostRunner): void {
  const inside = ['nsenter', `--net=/proc/${pid}/ns/net`, '--'];
  for (const [host, d] of Object.entries(devices)) {
    const field = `linux.netDevices.${host}`;
    const want = d.name || host;
    const found = run(['ip', '-j', 'addr', 'show', 'dev', host]);
    if (found.status !== 0) failed(field, `no network device "${host}" on the host (ip: ${found.err})`);
    const [link] = JSON.parse(found.out || '[]') as { addr_info?: AddrInfo[] }[];
    // Only permanent addresses of global scope move (RFC 3549 2.3.3.2): others belong to the host's context.
    const addrs = (link?.addr_info ?? []).filter((a) => !a.dynamic && a.scope === 'global');
    const before = new Set(links(run, inside, field).map((l) => l.ifname));
    const down = run(['ip', 'link', 'set', 'dev', host, 'down']);
    if (down.status !== 0) failed(field, `cannot set "${host}" down: ${down.err}`);
    // One message moves and renames, so the name never collides in the host's namespace.
    const moved = run(['ip', 'link', 'set', 'dev', host, 'netns', String(pid), 'name', want]);
    if (moved.status !== 0) failed(field, `cannot move "${host}" into the container's network namespace as "${want}": ${moved.err}`);
    const name = want.includes('%d') ? links(run, inside, field).map((l) => l.ifname).find((n) => !before.has(n)) : want;
    if (!name) failed(field, `"${host}" was moved but is not found in the container's network namespace`);
    const script = [
      ...addrs.map((a) => `address add ${a.local}/${a.prefixlen}${a.broadcast ? ` broadcast ${a.broadcast}` : ''} dev ${name}`),
      `link set dev ${name} up`,
    ].join('\n');
    const up = run([...inside, 'ip', '-batch', '-'], `${script}\n`);
    if (up.status !== 0) failed(field, `cannot set up "${name}" in the container's network namespace: ${up.err}`);
  }
}
