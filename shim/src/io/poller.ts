// Reading and writing the shim's fds without a thread per fd. Every fd is made non-blocking and O_ASYNC (owner: this
// process), so the kernel sends SIGIO when one becomes readable, writable again, or hung up; on SIGIO every reader
// and writer tries its fd until EAGAIN. Why signals: Bun has no event-loop reader for an fd it did not open when the
// fd is a terminal (tty.ReadStream and fs streams park one pool thread per fd; with two terminals the loop stalls) and
// net.Socket({fd}) does not read pipes there; SIGIO works alike on Node and Bun, costs no memory, and a read loop
// over 64 KiB chunks moves more than 1 GB/s here.
//
// SIGIO is not sent for everything: a pty master is not signalled when the last slave fd closes, so whoever waits
// for an end also polls (pollUntil) with a backoff.
import * as fs from 'node:fs';

const CHUNK = 64 * 1024;
/** Reads per turn of the event loop before yielding, so one busy process cannot starve the others. */
const READS_PER_TURN = 16;
const RETRY_MS = 20;

const tasks = new Set<() => void>();
let installed = false;

function onSigio(): void {
  for (const t of tasks) t();
}

function register(task: () => void): void {
  // Installed once and kept: a SIGIO without a handler would end the process.
  if (!installed) {
    process.on('SIGIO', onSigio);
    installed = true;
  }
  tasks.add(task);
}

const shared = Buffer.allocUnsafe(CHUNK);

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? '';
}

export interface FdReader {
  /** Reads what is there now (also run on every SIGIO). */
  poll(): void;
  /** Stops reading until resume() (for backpressure). */
  pause(): void;
  resume(): void;
  readonly ended: boolean;
  close(): void;
}

/** Reads fd (already made signalDriven) until EOF; onData's chunk is only valid during the call. A terminal whose
 * other side is gone reads EIO, which is its end of file. */
export function readFd(fd: number, onData: (chunk: Buffer) => void, onEnd: (err?: Error) => void): FdReader {
  let ended = false;
  let paused = false;
  let again = false;
  const finish = (err?: Error) => {
    ended = true;
    tasks.delete(poll);
    onEnd(err);
  };
  function poll(): void {
    if (ended || paused || again) return;
    for (let i = 0; i < READS_PER_TURN; i++) {
      let n: number;
      try {
        n = fs.readSync(fd, shared, 0, CHUNK, null);
      } catch (e) {
        const code = errCode(e);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return;
        if (code === 'EINTR') continue;
        if (code === 'EIO') n = 0;
        else return finish(e as Error);
      }
      if (n === 0) return finish();
      onData(shared.subarray(0, n));
      if (ended || paused) return;
    }
    again = true;
    setImmediate(() => {
      again = false;
      poll();
    });
  }
  register(poll);
  // not at once: the caller has not got the reader yet
  queueMicrotask(poll);
  return {
    poll,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      poll();
    },
    get ended() {
      return ended;
    },
    close: () => {
      ended = true;
      tasks.delete(poll);
    },
  };
}

/** Polls until done() is true or stop is called: every `ms`, doubling up to maxMs (for ends that send no SIGIO). */
export function pollUntil(step: () => boolean, ms = 10, maxMs = 500): () => void {
  let timer: NodeJS.Timeout | undefined;
  let delay = ms;
  const tick = () => {
    if (step()) return;
    timer = setTimeout(tick, delay);
    delay = Math.min(delay * 2, maxMs);
  };
  tick();
  return () => clearTimeout(timer);
}

/**
 * A non-blocking writer: what the fd does not take now waits in memory (up to `limit` bytes) and is written when
 * SIGIO says the fd is writable again, or on a short retry timer. A reader that went away (EPIPE) ends it quietly.
 */
export class Sink {
  private queue: Buffer[] = [];
  queued = 0;
  broken = false;
  private ending = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Called when the queue has emptied. */
  onDrain: (() => void) | undefined;
  private readonly flushTask = () => this.flush();

  constructor(
    readonly fd: number,
    private readonly limit: number,
    private readonly closeFd = true,
  ) {
    register(this.flushTask);
  }

  /** false when the data did not fit in the queue and was dropped (or the reader is gone). */
  write(data: Buffer): boolean {
    if (this.broken || this.ending) return false;
    if (this.queued + data.length > this.limit) return false;
    this.queue.push(data);
    this.queued += data.length;
    this.flush();
    return true;
  }

  /** Closes the fd once everything queued is written. */
  end(): void {
    this.ending = true;
    this.flush();
  }

  flush(): void {
    if (this.closed) return;
    while (this.queue.length) {
      const head = this.queue[0] as Buffer;
      let n: number;
      try {
        n = fs.writeSync(this.fd, head);
      } catch (e) {
        const code = errCode(e);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.flush();
          }, RETRY_MS).unref();
          return;
        }
        if (code === 'EINTR') continue;
        this.broken = true;
        this.queue = [];
        this.queued = 0;
        break;
      }
      this.queued -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.ending || this.broken) this.close();
    else this.onDrain?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.broken = true;
    tasks.delete(this.flushTask);
    clearTimeout(this.timer);
    this.queue = [];
    this.queued = 0;
    if (this.closeFd) closeQuietly(this.fd);
  }
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined || fd < 0) return;
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}
