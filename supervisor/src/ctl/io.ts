// Attaching tsctl's stdio to a process, as ctr does: FIFOs in a private temp directory are given to tsrund (the
// shim opens them), tsctl copies its stdin into one and the others to its stdout and stderr. With a terminal,
// stdin is raw and window size changes are sent on (SIGWINCH -> ResizePty).
//
// No open here ever waits for the shim (an open of a FIFO blocks until the other side opens it, and a shim that
// fails never will): output FIFOs are opened non-blocking and polled (a plain read loop that works the same on
// Node and Bun, whose event loops do not both watch FIFOs), with a write end of tsctl's own so that nothing reads
// as EOF before the shim has opened its end. Once the process has exited (drained()), tsctl drops that end and
// reads until EOF, or, since tsrun-shim keeps its write ends open until the task is deleted, until the FIFO has
// stayed empty for a few polls (the shim has copied all output by the time Wait answers). stdin is opened
// read-write, which never blocks; the shim holds a write end of stdin too (as containerd's does), so EOF on tsctl's
// stdin is passed on with CloseIO (onStdinEnd).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Attached {
  stdio: { stdin: string; stdout: string; stderr: string; terminal: boolean };
  /** Call once the shim has opened the FIFOs (the process is created). */
  copyStdin(): void;
  /** Call once the process has exited: resolves when all its output has been copied. */
  drained(): Promise<void>;
  close(): void;
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK } = fs.constants;

const POLL_MS = 5;
/** Empty polls in a row after the exit that count as the end of the output. */
const QUIET_POLLS = 10;

function openOutput(fifo: string, to: NodeJS.WriteStream): { finish(): void; copied: Promise<void> } {
  const fd = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
  let hold = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
  const buf = Buffer.alloc(64 * 1024);
  let finishing = false;
  let quiet = 0;
  let done!: () => void;
  const copied = new Promise<void>((resolve) => (done = resolve));
  const end = () => {
    fs.closeSync(fd);
    done();
  };
  const poll = (): void => {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        return end();
      }
      if (n === 0) return end(); // every writer has gone
      to.write(Buffer.from(buf.subarray(0, n)));
      quiet = 0;
    }
    if (finishing && ++quiet >= QUIET_POLLS) return end();
    setTimeout(poll, POLL_MS);
  };
  poll();
  return {
    copied,
    finish() {
      finishing = true;
      if (hold >= 0) fs.closeSync(hold);
      hold = -1;
    },
  };
}

export function attachFifos(tty: boolean, onStdinEnd: () => void): Attached {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsctl-'));
  const stdio = { stdin: path.join(dir, 'stdin'), stdout: path.join(dir, 'stdout'), stderr: tty ? '' : path.join(dir, 'stderr'), terminal: tty };
  const fifos = [stdio.stdin, stdio.stdout, ...(tty ? [] : [stdio.stderr])];
  const r = spawnSync('mkfifo', ['-m', '0600', ...fifos], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo in ${dir}: ${r.stderr.trim() || r.error?.message}`);

  const outputs = [openOutput(stdio.stdout, process.stdout), ...(tty ? [] : [openOutput(stdio.stderr, process.stderr)])];
  const input = fs.createWriteStream('', { fd: fs.openSync(stdio.stdin, O_RDWR) });
  input.on('error', () => undefined);
  return {
    stdio,
    // only once the shim has its end open: a FIFO's buffered data is lost when its last holder closes it
    copyStdin() {
      input.once('finish', onStdinEnd);
      if (tty && process.stdin.isTTY) process.stdin.setRawMode(true);
      process.stdin.pipe(input);
      process.stdin.on('error', () => undefined);
    },
    async drained() {
      for (const o of outputs) o.finish();
      await Promise.all(outputs.map((o) => o.copied));
    },
    close() {
      if (tty && process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.unpipe(input);
      process.stdin.pause();
      input.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls resize(width, height) now and on every window size change; returns the function that stops it. */
export function followWindow(resize: (w: number, h: number) => Promise<unknown>): () => void {
  if (!process.stdout.isTTY) return () => undefined;
  const send = () => void resize(process.stdout.columns, process.stdout.rows);
  send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}
