// A container without its own mount namespace mounts into the runtime's namespace (as runc does); unlike runc,
// tsrun takes those mounts down again on delete or on a failed create, deepest first.
import * as fs from 'node:fs';
import * as path from 'node:path';

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below dir, deepest first. */
export function mountsBelow(dir: string, mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const top = path.resolve(dir);
  const points = mountinfo.split('\n').map((l) => l.split(' ')[4]).filter((x): x is string => !!x).map(unescape);
  return [...new Set(points.filter((p) => p === top || p.startsWith(`${top}/`)))].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}

export function unmountBelow(dir: string, umount: (target: string) => void): void {
  // a mount can be stacked several times on one point: repeat until nothing is left below dir
  for (let round = 0; round < 8; round++) {
    const points = mountsBelow(dir);
    if (points.length === 0) return;
    for (const p of points) umount(p);
  }
}
