// Durable small files: a committed write survives a crash (kill -9, power loss) and a crash during a write leaves
// the previous version intact. The file is written under a temporary name, fsynced, renamed over the old one (an
// atomic replace on POSIX filesystems) and the directory is fsynced so the rename itself is on disk.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

let counter = 0;

async function syncDir(dir: string): Promise<void> {
  const fd = await fs.open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  const fd = await fs.open(tmp, 'w', 0o600);
  try {
    await fd.writeFile(data);
    await fd.sync();
  } catch (err) {
    await fd.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fd.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Removes a file and makes the removal durable; absent is fine. */
export async function removeDurable(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await syncDir(path.dirname(file));
}

/** mkdir -p, then fsync the parent so a new directory survives a crash along with the files put in it. */
export async function makeDir(dir: string): Promise<void> {
  const made = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
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
