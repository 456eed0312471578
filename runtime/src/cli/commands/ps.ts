// ps: the processes of a container, as runc's: `-f table` (default) runs the host's ps(1) with the given options
// (default -ef) and keeps the header and the lines whose PID column is one of the container's pids (every pid in its
// cgroup; host pids, as runc shows); `-f json` prints the pids as a JSON array. ps options go after the id, behind
// `--` (tsrun ps <id> -- -o pid,comm).
import { spawnSync } from 'node:child_process';
import { cgroupsFromRecord } from '../../container/cgroups.js';
import { TsrunError } from '../../errors.js';
import { statusOf, validateId } from '../../state/store.js';
import type { Command } from '../registry.js';
import { stdout } from '../output.js';

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

export const command: Command = {
  usage: 'ps [--format table|json] <container-id> [-- ps options (default -ef)]',
  options: { format: { type: 'string', short: 'f', default: 'table' } },
  async run(ctx, { values, positionals }) {
    const [id, ...psArgs] = positionals;
    if (id === undefined) throw new TsrunError('usage', 'expected <container-id> [ps options]');
    validateId(id);
    const format = values.format;
    if (format !== 'table' && format !== 'json') throw new TsrunError('usage', `--format: must be table or json, not "${format}"`);
    const rec = ctx.store.read(id);
    if (statusOf(ctx.store, rec) === 'stopped') throw new TsrunError('invalid_state', `cannot ps container ${id}: it is stopped`);
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
