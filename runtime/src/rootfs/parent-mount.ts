// The mount point that holds a path, from /proc/self/mountinfo (runc's getParentMount).
import * as fs from 'node:fs';
import * as path from 'node:path';

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parentMount(p: string, mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string {
  const points = new Set(mountinfo.split('\n').map((l) => l.split(' ')[4]).filter((x): x is string => !!x).map(unescape));
  for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
    if (points.has(dir) || dir === '/') return dir;
  }
}
