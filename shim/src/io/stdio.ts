// The parts of a process's stdio shared by pipes and terminals: where output goes (the log, the caller's FIFO or
// file, live attach listeners) and where stdin comes from (the caller's FIFO or file).
//
// FIFOs are opened as containerd's shim does, so that nobody waits on anybody: for output the shim holds a read end
// of its own (opening the write end then never blocks, and writing never fails for want of a reader) and writes
// without blocking; what a FIFO cannot take waits in memory up to COPY_LIMIT, then is dropped for that FIFO only
// (the log has everything). For stdin the shim holds a write end of its own, so the caller's writer may come and
// go without giving the process EOF; close-io drops it.
import * as fs from 'node:fs';
import type { LogWriter } from './log.js';
import { type FdReader, Sink, closeQuietly, readFd } from './poller.js';
import { O_CLOEXEC, O_NONBLOCK, type RawIo, signalDriven } from './raw.js';
import type { OutputListener, OutputStream } from './types.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_APPEND = 0o2000;
/** Output a FIFO may hold back in the shim's memory when its reader is slow or absent. */
export const COPY_LIMIT = 4 * 1024 * 1024;
/** stdin written (WriteStdin, or read from the caller's FIFO) that the process has not read yet. */
export const STDIN_LIMIT = 16 * 1024 * 1024;
/** Reading the caller's stdin FIFO pauses while this much waits for the process. */
const STDIN_PAUSE = 1024 * 1024;

export interface Dest {
  write(data: Buffer): void;
  close(): void;
  /** Bytes dropped because the reader did not keep up (FIFOs only). */
  dropped: number;
}

function isFifo(path: string): boolean {
  try {
    return fs.statSync(path).isFIFO();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** The caller's stdout/stderr path: a FIFO, or a file (created, appended to). */
export function openDest(raw: RawIo, path: string): Dest {
  if (isFifo(path)) {
    const holder = fs.openSync(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    const w = fs.openSync(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    signalDriven(raw, w, path);
    const sink = new Sink(w, COPY_LIMIT);
    const d: Dest = {
      dropped: 0,
      write: (data) => {
        if (!sink.write(data)) d.dropped += data.length;
      },
      close: () => {
        sink.close();
        closeQuietly(holder);
      },
    };
    return d;
  }
  const fd = fs.openSync(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640);
  let failed = false;
  return {
    dropped: 0,
    write: (data) => {
      if (failed) return;
      try {
        for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off);
      } catch {
        failed = true;
      }
    },
    close: () => closeQuietly(fd),
  };
}

/** Where a process's output goes: the log first, then the caller's copies and the attach listeners. */
export class Outputs {
  private readonly listeners = new Set<OutputListener>();
  private open = 0;
  private done!: () => void;
  readonly drained = new Promise<void>((resolve) => (this.done = resolve));

  constructor(
    private readonly log: LogWriter,
    private readonly copies: Partial<Record<OutputStream, Dest>>,
  ) {}

  /** Reads fd into the stream until its end. */
  follow(fd: number, stream: OutputStream, onEnd: () => void): FdReader {
    this.open++;
    return readFd(
      fd,
      (chunk) => this.emit(stream, chunk),
      () => {
        onEnd();
        if (--this.open === 0) this.done();
      },
    );
  }

  emit(stream: OutputStream, chunk: Buffer): void {
    this.log.write(stream, chunk);
    const copy = this.copies[stream];
    if (!copy && this.listeners.size === 0) return;
    const data = Buffer.from(chunk);
    copy?.write(data);
    for (const l of this.listeners) {
      try {
        l(stream, data);
      } catch {
        this.listeners.delete(l);
      }
    }
  }

  attach(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    this.copies.stdout?.close();
    this.copies.stderr?.close();
    this.log.close();
    this.done();
  }
}

export interface StdinSource {
  /** close-io: reads what the FIFO holds now, then stops and calls onEnd. */
  finish(): void;
  close(): void;
}

/**
 * Copies the caller's stdin FIFO into sink; onEnd when every writer has gone (the shim's own included, which
 * finish() closes). Reading pauses while the process is behind.
 */
export function copyStdinFifo(raw: RawIo, path: string, sink: Sink, onEnd: () => void): StdinSource {
  const r = fs.openSync(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  let holder = fs.openSync(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  signalDriven(raw, r, path);
  let closed = false;
  let ended = false;
  const close = () => {
    if (closed) return;
    closed = true;
    reader.close();
    closeQuietly(r);
    closeQuietly(holder);
  };
  const end = () => {
    close();
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  const reader = readFd(
    r,
    (chunk) => {
      sink.write(Buffer.from(chunk));
      if (sink.queued > STDIN_PAUSE) reader.pause();
    },
    end,
  );
  sink.onDrain = () => reader.resume();
  return {
    finish: () => {
      if (closed) return;
      closeQuietly(holder);
      holder = -1;
      reader.resume();
      end();
    },
    close,
  };
}

export function isFifoPath(path: string): boolean {
  return isFifo(path);
}
