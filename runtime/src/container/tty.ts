// `run` of a container with process.terminal in the foreground and no --console-socket: like runc, tsrun
// receives the pty master itself and copies between it and its own stdin/stdout, following window resizes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listenConsole, setWinsize } from '../linux/console.js';
import { lazyBuiltin } from '../lazy-builtin.js';

const os = lazyBuiltin<typeof import('node:os')>('node:os');

export interface ForegroundTty {
  socketPath: string;
  /** Starts copying once the container has sent its pty master. */
  attached: Promise<void>;
  /** Resolves when the container side of the pty is closed and all output is written. */
  drained(): Promise<void>;
  close(): void;
}

export function foregroundTty(): ForegroundTty {
  const dir = fs.mkdtempSync(path.join(os().tmpdir(), 'tsrun-console-'));
  const socketPath = path.join(dir, 'console.sock');
  const listener = listenConsole(socketPath);
  let master = -1;
  let done: Promise<void> = Promise.resolve();
  const onResize = () => {
    if (master >= 0 && process.stdout.isTTY) setWinsize(master, process.stdout.rows, process.stdout.columns);
  };
  const attached = listener.accept().then((fd) => {
    master = fd;
    onResize();
    process.on('SIGWINCH', onResize);
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    const out = fs.createReadStream('', { fd, autoClose: false });
    done = new Promise<void>((resolve) => {
      out.on('data', (chunk) => process.stdout.write(chunk));
      // a pty master reads EIO once the last slave fd is closed: that is the end of output
      out.on('error', () => resolve());
      out.on('end', () => resolve());
    });
    process.stdin.on('data', (chunk: Buffer) => {
      try {
        fs.writeSync(fd, chunk);
      } catch {
        // container gone
      }
    });
  });
  return {
    socketPath,
    attached,
    drained: () => done,
    close() {
      process.off('SIGWINCH', onResize);
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdin.destroy();
      listener.close();
      if (master >= 0) fs.closeSync(master);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
