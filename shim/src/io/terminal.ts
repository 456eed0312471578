// stdio of a process with a terminal: the runtime creates the pty inside the container and sends its master to
// the console socket (console.ts). The shim reads the master into the log (a terminal has one output stream,
// logged as stdout), writes stdin to it (WriteStdin and/or the caller's FIFO), resizes it, and for close-io sends
// the terminal's EOF character, as conmon does: a terminal has no other way to tell its reader that input ended.
import { ConsoleSocket, eofChar, setWinsize } from './console.js';
import { LogWriter } from './log.js';
import { type FdReader, Sink, closeQuietly, pollUntil } from './poller.js';
import { type RawIo, signalDriven } from './raw.js';
import { type Dest, Outputs, STDIN_LIMIT, type StdinSource, copyStdinFifo, openDest } from './stdio.js';
import type { LogOptions, ProcessIO, StdioRequest } from './types.js';

export function openTerminal(raw: RawIo, req: StdioRequest, log: LogOptions): ProcessIO {
  const socket = ConsoleSocket.open(raw);
  let copy: Dest | undefined;
  let outputs: Outputs;
  try {
    if (req.stdout) copy = openDest(raw, req.stdout);
    outputs = new Outputs(new LogWriter(log), { stdout: copy });
  } catch (e) {
    copy?.close();
    socket.close();
    throw e;
  }
  const o = outputs;
  let master = -1;
  let reader: FdReader | undefined;
  let sink: Sink | undefined;
  let source: StdinSource | undefined;
  let size: [number, number] | undefined;
  let stopPolling: (() => void) | undefined;
  let stdinClosed = false;
  let closed = false;

  const sendEof = () => {
    if (stdinClosed || !sink) return;
    stdinClosed = true;
    sink.write(Buffer.of(eofChar(raw, master)));
  };

  return {
    runtimeStdio: () => ({ stdio: ['ignore', 'ignore', 'ignore'], consoleSocket: socket.path }),
    started: async () => {
      if (closed) throw new Error('stdio closed before the process started');
      if (master >= 0) return;
      try {
        master = socket.take();
      } finally {
        socket.close();
      }
      signalDriven(raw, master, 'pty master');
      if (size) setWinsize(raw, master, size[0], size[1]);
      sink = new Sink(master, STDIN_LIMIT, false);
      reader = o.follow(master, 'stdout', () => {});
      if (req.stdin) source = copyStdinFifo(raw, req.stdin, sink, sendEof);
    },
    closeStdin: () => {
      if (source) source.finish();
      else sendEof();
    },
    writeStdin: (data) => {
      if (!sink) throw new Error('the terminal is not there yet (the process has not been created)');
      if (stdinClosed) throw new Error('stdin is closed');
      if (!sink.write(data)) throw new Error(sink.broken ? 'the terminal is closed' : `stdin is full: the process has not read the last ${sink.queued} bytes`);
    },
    resize: (width, height) => {
      if (master >= 0) setWinsize(raw, master, width, height);
      else size = [width, height];
    },
    attach: (listener) => o.attach(listener),
    drained: () => {
      // No SIGIO comes when the last slave fd closes: poll for the master's EIO.
      if (!reader) return closed ? Promise.resolve() : o.drained;
      stopPolling ??= pollUntil(() => {
        reader?.poll();
        return closed || !!reader?.ended;
      });
      return o.drained;
    },
    close: () => {
      if (closed) return;
      closed = true;
      stopPolling?.();
      socket.close();
      reader?.close();
      source?.close();
      sink?.close();
      closeQuietly(master);
      master = -1;
      o.close();
    },
  };
}
