// A container's rootfs given as mounts is stacked on <bundle>/rootfs with mount(8) when its task is created and
// unmounted when the task is deleted (or found dead after a restart). A rootfs given as a directory is used as it is.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { invalid } from '../errors.js';
import type { MountRecord } from '../store/containers.js';

const run = promisify(execFile);

export async function mountRootfs(bundle: string, mounts: readonly MountRecord[]): Promise<string> {
  const target = path.join(bundle, 'rootfs');
  await fs.mkdir(target, { recursive: true });
  let done = 0;
  try {
    for (const m of mounts) {
      const args = ['-t', m.type, ...(m.options.length ? ['-o', m.options.join(',')] : []), m.source, target];
      try {
        await run('mount', args);
      } catch (err) {
        const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0];
        throw invalid(`rootfs mount ${done} (${m.type} ${m.source}): ${msg}`);
      }
      done++;
    }
  } catch (err) {
    for (; done > 0; done--) await run('umount', [target]).catch(() => undefined);
    throw err;
  }
  return target;
}

/** Unmounts everything stacked on <bundle>/rootfs. */
export async function unmountRootfs(bundle: string): Promise<void> {
  const target = path.join(bundle, 'rootfs');
  for (let i = 0; i < 64; i++) {
    try {
      await run('umount', [target]);
    } catch {
      return;
    }
  }
}
