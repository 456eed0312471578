// Reading a CRI-format log back (format in log.ts): parse entries, list the rotated files oldest first, and
// reassemble each stream's exact bytes. Used by the tests and by the supervisor's `logs`.
import * as fs from 'node:fs';
import type { OutputStream } from './types.js';

export interface LogEntry {
  /** The RFC 3339 timestamp as written. */
  time: string;
  stream: OutputStream;
  /** P: a piece of a line (no newline follows it in the output); F: a whole line. */
  partial: boolean;
  /** The text, without the newline. */
  text: Buffer;
}

const NL = 10;
const SP = 32;

/**
 * Parses the complete lines of buf (a trailing line without its newline is left for the next call: `used` says
 * how many bytes were consumed). A line that is not `<time> stdout|stderr F|P <text>` is an error naming `where`.
 */
export function parseLog(buf: Buffer, where = 'log'): { entries: LogEntry[]; used: number } {
  const entries: LogEntry[] = [];
  let start = 0;
  for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, start)) {
    entries.push(parseLine(buf, start, nl, where));
    start = nl + 1;
  }
  return { entries, used: start };
}

function parseLine(buf: Buffer, start: number, end: number, where: string): LogEntry {
  const bad = (why: string): never => {
    const shown = buf.subarray(start, Math.min(end, start + 80)).toString('utf8');
    throw new Error(`${where}: bad log line at byte ${start} (${why}): ${JSON.stringify(shown)}`);
  };
  const s1 = buf.indexOf(SP, start);
  if (s1 === -1 || s1 > end) bad('no stream');
  const s2 = buf.indexOf(SP, s1 + 1);
  if (s2 === -1 || s2 > end) bad('no tag');
  const stream = buf.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') bad(`stream "${stream}"`);
  // The tag may grow fields after a colon (kubelet reads "F" or "P" before one); the text follows one space.
  let s3 = buf.indexOf(SP, s2 + 1);
  if (s3 === -1 || s3 > end) s3 = end;
  const tag = buf.toString('latin1', s2 + 1, s3).split(':')[0];
  if (tag !== 'F' && tag !== 'P') bad(`tag "${tag}"`);
  return {
    time: buf.toString('latin1', start, s1),
    stream: stream as OutputStream,
    partial: tag === 'P',
    text: buf.subarray(Math.min(s3 + 1, end), end),
  };
}

/** The log's files that exist, oldest first: path.N ... path.1, path. */
export function logFiles(path: string): string[] {
  const files: string[] = [];
  for (let i = 1; fs.existsSync(`${path}.${i}`); i++) files.unshift(`${path}.${i}`);
  if (fs.existsSync(path)) files.push(path);
  return files;
}

/** Each stream's bytes from entries, exactly as the process wrote them. */
export function reassemble(entries: Iterable<LogEntry>): Record<OutputStream, Buffer> {
  const parts: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  const newline = Buffer.from('\n');
  for (const e of entries) {
    parts[e.stream].push(e.text);
    if (!e.partial) parts[e.stream].push(newline);
  }
  return { stdout: Buffer.concat(parts.stdout), stderr: Buffer.concat(parts.stderr) };
}

/** Reads path and its rotated files (oldest first) and returns each stream's bytes. */
export function readLog(path: string): Record<OutputStream, Buffer> {
  const entries: LogEntry[] = [];
  for (const file of logFiles(path)) {
    const buf = fs.readFileSync(file);
    const { entries: e, used } = parseLog(buf, file);
    if (used !== buf.length) throw new Error(`${file}: the last line has no newline (a log being written?)`);
    for (const x of e) entries.push(x);
  }
  return reassemble(entries);
}
