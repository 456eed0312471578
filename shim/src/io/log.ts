// The container log in the CRI format kubelet reads (and podman's k8s-file driver writes):
//
//   2024-05-01T10:00:00.123456789Z stdout F a whole line
//   2024-05-01T10:00:00.123456789Z stderr P the start of a longer line, without its newline
//
// One entry per line of output; F marks a line that ended with its newline (not written), P a piece of a line that
// did not (the read ended mid-line: the line was longer than the read, or the process stopped without a newline).
// A reader gets the exact bytes back by joining P pieces and F lines plus a newline per stream (logread.ts).
// Like conmon, a piece is written as soon as it is read, never held back: a shim killed afterwards loses nothing.
//
// Each read chunk becomes one buffer and one write(2) (the hot path), whatever the number of lines in it.
// Rotation by size (kubelet's containerLogMaxSize/MaxFiles): before a write that would pass maxSize the file is
// renamed to path.1 (path.1 to path.2, ...; the oldest beyond maxFiles goes) and a new one opened.
import * as fs from 'node:fs';
import type { LogOptions, OutputStream } from './types.js';

const NL = 10;
const TAGS: Record<OutputStream, { full: Buffer; partial: Buffer }> = {
  stdout: { full: Buffer.from(' stdout F '), partial: Buffer.from(' stdout P ') },
  stderr: { full: Buffer.from(' stderr F '), partial: Buffer.from(' stderr P ') },
};
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_APPEND = 0o2000;
const O_CLOEXEC = 0o2000000;

/** Wall-clock nanoseconds: Date.now() for the time, hrtime for the digits below the millisecond. */
export class Clock {
  private wall = 0n;
  private hr = 0n;

  nowNs(): bigint {
    const hr = process.hrtime.bigint();
    const ms = BigInt(Date.now());
    let ns = this.wall + (hr - this.hr);
    const drift = ns / 1_000_000n - ms;
    // first use, or the wall clock was set since: start again from it
    if (this.wall === 0n || drift > 1n || drift < -1n) {
      this.wall = ms * 1_000_000n;
      this.hr = hr;
      ns = this.wall;
    }
    return ns;
  }
}

let cachedSecond = -1n;
let cachedPrefix = '';

/** RFC 3339 with nanoseconds in UTC, fixed width (kubelet's format): 2024-05-01T10:00:00.000000001Z. */
export function rfc3339Nano(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  if (sec !== cachedSecond) {
    cachedSecond = sec;
    cachedPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  }
  return `${cachedPrefix}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/** One chunk of output as log entries, in one buffer. An empty chunk gives an empty buffer. */
export function formatChunk(stream: OutputStream, chunk: Buffer, time: string): Buffer {
  const tag = TAGS[stream];
  const ts = Buffer.from(time, 'latin1');
  const head = ts.length + tag.full.length;
  let lines = 0;
  for (let i = chunk.indexOf(NL); i !== -1; i = chunk.indexOf(NL, i + 1)) lines++;
  const partial = chunk.length > 0 && chunk[chunk.length - 1] !== NL;
  // each line's newline moves to the end of its entry
  const out = Buffer.allocUnsafe(chunk.length - lines + (lines + (partial ? 1 : 0)) * (head + 1));
  let o = 0;
  let start = 0;
  const entry = (t: Buffer, end: number) => {
    o += ts.copy(out, o);
    o += t.copy(out, o);
    o += chunk.copy(out, o, start, end);
    out[o++] = NL;
  };
  for (let i = chunk.indexOf(NL); i !== -1; i = chunk.indexOf(NL, start)) {
    entry(tag.full, i);
    start = i + 1;
  }
  if (partial) entry(tag.partial, chunk.length);
  return out;
}

export class LogWriter {
  private fd = -1;
  private size = 0;
  private readonly clock = new Clock();
  /** The first write error (ENOSPC, EIO...): logging goes on with the next chunk. */
  error: Error | undefined;

  constructor(private readonly o: LogOptions) {
    this.open();
  }

  write(stream: OutputStream, chunk: Buffer): void {
    if (chunk.length === 0 || this.fd < 0) return;
    const out = formatChunk(stream, chunk, rfc3339Nano(this.clock.nowNs()));
    try {
      if (this.o.maxSize > 0 && this.size > 0 && this.size + out.length > this.o.maxSize) this.rotate();
      let off = 0;
      while (off < out.length) off += fs.writeSync(this.fd, out, off);
      this.size += out.length;
    } catch (e) {
      this.error ??= e as Error;
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private open(): void {
    this.fd = fs.openSync(this.o.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const { path, maxFiles } = this.o;
    if (maxFiles < 1) fs.rmSync(path, { force: true });
    else {
      for (let i = maxFiles - 1; i >= 1; i--) renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
      fs.renameSync(path, `${path}.1`);
    }
    this.open();
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
