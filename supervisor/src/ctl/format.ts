// Output for people (aligned tables) or scripts (--format json).
export type Format = 'table' | 'json';

export const STATUS = ['UNKNOWN', 'CREATED', 'RUNNING', 'STOPPED', 'PAUSED', 'PAUSING'] as const;
export const statusName = (n: number): string => STATUS[n] ?? String(n);

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd()).join('\n') + '\n';
}

export function print(format: Format, json: unknown, text: () => string): void {
  process.stdout.write(format === 'json' ? JSON.stringify(json, null, 2) + '\n' : text());
}

export const time = (ns: number): string => (ns ? new Date(ns / 1e6).toISOString() : '-');
