// Durable small files: a committed write survives a crash (kill -9, power loss) and a crash during a write leaves
// the previous version intact. The file is written under a temporary name, fsynced, renamed over the old one (an
// atomic replace on POSIX filesystems) and the directory is fsynced so the rename itself is on disk.
// Only the fsyncs, which wait for the disk, go to libuv's thread pool; open, write, rename and close of a small file
// are made directly (each trip through the pool cost a few context switches, eight per write before).
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';

let counter = 0;

const fsync = promisify(fsSync.fsync);

async function syncFd(fd: number): Promise<void> {
  try {
    await fsync(fd);
  } finally {
    fsSync.closeSync(fd);
  }
}

const syncDir = (dir: string): Promise<void> => syncFd(fsSync.openSync(dir, 'r'));

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  try {
    const fd = fsSync.openSync(tmp, 'w', 0o600);
    try {
      fsSync.writeFileSync(fd, data);
    } catch (err) {
      fsSync.closeSync(fd);
      throw err;
    }
    await syncFd(fd);
    fsSync.renameSync(tmp, file);
  } catch (err) {
    fsSync.rmSync(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Removes a file and makes the removal durable; absent is fine. */
export async function removeDurable(file: string): Promise<void> {
  try {
    fsSync.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await syncDir(path.dirname(file));
}

/** mkdir -p, then fsync the parent so a new directory survives a crash along with the files put in it. */
export async function makeDir(dir: string): Promise<void> {
  const made = fsSync.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made) await syncDir(path.dirname(dir));
}

/** Reads a JSON file; undefined when it does not exist. Leftover temporary files are not read (they start with '.'). */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}
