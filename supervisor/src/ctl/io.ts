// Attaching tsctl's stdio to a process, as ctr does: FIFOs in a private temp directory are given to tsrund (the
// shim opens them), tsctl copies its stdin into one and the others to its stdout and stderr. With a terminal,
// stdin is raw and window size changes are sent on (SIGWINCH -> ResizePty).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Attached {
  stdio: { stdin: string; stdout: string; stderr: string; terminal: boolean };
  /** Call once the process has exited: resolves when all its output has been copied. */
  drained(): Promise<void>;
  close(): void;
}

export function attachFifos(tty: boolean): Attached {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsctl-'));
  const stdio = { stdin: path.join(dir, 'stdin'), stdout: path.join(dir, 'stdout'), stderr: tty ? '' : path.join(dir, 'stderr'), terminal: tty };
  const fifos = [stdio.stdin, stdio.stdout, ...(tty ? [] : [stdio.stderr])];
  const r = spawnSync('mkfifo', ['-m', '0600', ...fifos], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo in ${dir}: ${r.stderr.trim() || r.error?.message}`);

  // The opens block (in libuv's threads) until the shim opens the other ends.
  const copyOut = (fifo: string, to: NodeJS.WriteStream): Promise<void> =>
    new Promise((resolve) => {
      const s = fs.createReadStream(fifo);
      s.on('data', (d) => to.write(d));
      s.on('end', resolve);
      s.on('error', () => resolve());
    });
  const outputs = [stdio.stdout, ...(tty ? [] : [stdio.stderr])];
  const copied = Promise.all([copyOut(stdio.stdout, process.stdout), ...(tty ? [] : [copyOut(stdio.stderr, process.stderr)])]);
  // Once the process has exited: open and close each output FIFO for writing ourselves. The reads above then end
  // as soon as the shim's ends are closed too, and at once if the shim never opened them (an open for reading
  // waits for a writer and would otherwise wait forever).
  const drained = async (): Promise<void> => {
    for (const f of outputs) {
      try {
        fs.closeSync(fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // ENXIO: our reader is not there any more (already at EOF)
      }
    }
    await copied;
  };

  const input = fs.createWriteStream(stdio.stdin);
  input.on('error', () => undefined);
  if (tty && process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.pipe(input);
  process.stdin.on('error', () => undefined);
  return {
    stdio,
    drained,
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
