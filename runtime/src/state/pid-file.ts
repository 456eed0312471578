// --pid-file for create and exec: written to a temp file beside it and renamed, so a reader never sees half of it.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}`);
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, abs);
}
