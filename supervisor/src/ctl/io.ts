// Attaching tsctl's stdio to a process, as ctr does: FIFOs in a private temp directory are given to tsrund (the
// shim opens them), tsctl copies its stdin into one and the others to its stdout and stderr. With a terminal,
// stdin is raw and window size changes are sent on (SIGWINCH -> ResizePty).
//
// No open here ever waits for the shim (an open of a FIFO blocks until the other side opens it, and a shim that
// fails never will): each output FIFO is opened for reading non-blocking, then tsctl holds a write end of its own,
// which lets a blocking read end open at once. The reads then see EOF only when both the shim's write end and
// tsctl's are closed: tsctl closes its own once the process has exited (drained()). stdin is opened read-write,
// which never blocks either; closing it is the process's EOF.
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

function openOutput(fifo: string, to: NodeJS.WriteStream): { hold: number; copied: Promise<void> } {
  const probe = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
  const hold = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
  const fd = fs.openSync(fifo, O_RDONLY);
  fs.closeSync(probe);
  const copied = new Promise<void>((resolve) => {
    const s = fs.createReadStream('', { fd });
    s.on('data', (d) => to.write(d));
    s.on('end', resolve);
    s.on('error', () => resolve());
  });
  return { hold, copied };
}

export function attachFifos(tty: boolean): Attached {
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
      if (tty && process.stdin.isTTY) process.stdin.setRawMode(true);
      process.stdin.pipe(input);
      process.stdin.on('error', () => undefined);
    },
    async drained() {
      for (const o of outputs) fs.closeSync(o.hold);
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
export function followWindow(resize: (w: number, h: number) => void): () => void {
  if (!process.stdout.isTTY) return () => undefined;
  const send = () => resize(process.stdout.columns, process.stdout.rows);
  send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}
