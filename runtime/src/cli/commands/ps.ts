// ps: the processes of a container, as runc's: `-f table` (default) runs the host's ps(1) with the given options
// (default -ef) and keeps the header and the lines whose PID column is one of the container's pids (every pid in its
// cgroup; host pids, as runc shows); `-f json` prints the pids as a JSON array. As with runc (Go's flag package),
// ps's own flags end at the container id and everything after it goes to ps(1): `tsrun ps <id> -o pid,comm`.
import { spawnSync } from 'node:child_process';
import { cgroupsFromRecord } from '../../container/cgroups.js';
import { TsrunError } from '../../errors.js';
import { statusOf, validateId } from '../../state/store.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';
import { parseArgs } from '../args.js';

/** Keeps the header and the lines of `ps` output whose PID column (found from the header) is in pids. */
export function filterPs(output: string, pids: readonly number[]): string {
  const lines = output.split('\n');
  const header = lines[0] ?? '';
  const pidCol = header.trim().split(/\s+/).indexOf('PID');
  if (pidCol < 0) throw new TsrunError('usage', "ps: the output of ps has no PID column (add -o pid or use -f json)");
  const wanted = new Set(pids);
  const kept = lines.slice(1).filter((l) => {
    const field = l.trim().split(/\s+/)[pidCol];
    return field !== undefined && /^\d+$/.test(field) && wanted.has(Number(field));
  });
  return [header, ...kept].map((l) => `${l}\n`).join('');
}

const psOptions = { format: { type: 'string', short: 'f', default: 'table' } } as const;

/** Flags up to the container id, the id, and the ps(1) options after it (a leading `--` dropped). */
export function splitPsArgs(raw: string[]): { flags: string[]; id?: string; psArgs: string[] } {
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i] as string;
    if (a === '--') return { flags: raw.slice(0, i), id: raw[i + 1], psArgs: raw.slice(i + 2) };
    if (!a.startsWith('-') || a === '-') {
      const rest = raw.slice(i + 1);
      return { flags: raw.slice(0, i), id: a, psArgs: rest[0] === '--' ? rest.slice(1) : rest };
    }
    if (a === '-f' || a === '--format') i++;
  }
  return { flags: raw, psArgs: [] };
}

export const command: Command = {
  usage: 'ps [--format table|json] <container-id> [ps options (default -ef)]',
  options: psOptions,
  rawArgs: true,
  async run(ctx, { positionals }) {
    const { flags, id, psArgs } = splitPsArgs(positionals);
    const values = parseArgs(flags, psOptions, false).values;
    if (id === undefined) throw new TsrunError('usage', 'expected <container-id> [ps options]');
    validateId(id);
    const format = values.format;
    if (format !== 'table' && format !== 'json') throw new TsrunError('usage', `--format: must be table or json, not "${format}"`);
    const rec = ctx.store.read(id);
    if (statusOf(ctx.store, rec) === 'stopped') throw new TsrunError('invalid_state', `cannot ps container ${id}: it is stopped`);
    // A rootless container may run without cgroups: then its processes cannot be listed (runc fails too).
    if (Object.keys(rec.cgroupPaths).length === 0) throw new TsrunError('unsupported', `cannot ps container ${id}: it has no cgroups (created rootless, without permission to create them)`);
    const pids = cgroupsFromRecord(rec).pids().sort((a, b) => a - b);
    if (format === 'json') {
      stdout(`${JSON.stringify(pids)}\n`);
      return 0;
    }
    const res = spawnSync('ps', psArgs.length > 0 ? psArgs : ['-ef'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (res.error) throw new TsrunError('syscall', `ps: cannot run ps(1): ${res.error.message}`);
    if (res.status !== 0) throw new TsrunError('syscall', `ps ${psArgs.join(' ')}: exit status ${res.status}: ${(res.stderr ?? '').trim().split('\n')[0]}`);
    stdout(filterPs(res.stdout, pids));
    return 0;
  },
};
