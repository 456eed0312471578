// stdio of a process without a terminal: a pipe per output stream (the shim reads, the process writes) and, for
// stdin, the caller's file handed over as is, or a pipe the shim writes (WriteStdin, and/or a copy of the caller's
// FIFO). The process's ends go to the runtime command as its stdio (it passes them on to the container) and the
// shim closes its copies once the runtime has exited, so that the process's exit is the pipes' EOF.
import * as fs from 'node:fs';
import { LogWriter } from './log.js';
import { type FdReader, Sink, closeQuietly, pollUntil } from './poller.js';
import { O_CLOEXEC, type RawIo, pipe, signalDriven } from './raw.js';
import { type Dest, Outputs, STDIN_LIMIT, type StdinSource, copyStdinFifo, isFifoPath, openDest } from './stdio.js';
import type { LogOptions, OutputStream, ProcessIO, RuntimeStdio, StdioRequest } from './types.js';

export function openPipes(raw: RawIo, req: StdioRequest, log: LogOptions): ProcessIO {
  // fds the shim keeps (closed once, by closeMine: a number closed twice may already be someone else's)
  const mine = new Set<number>();
  const closeMine = (fd: number) => {
    if (mine.delete(fd)) closeQuietly(fd);
  };
  const theirs: number[] = [];
  const readers: FdReader[] = [];
  let outputs: Outputs | undefined;
  let stdin: Sink | undefined;
  let source: StdinSource | undefined;
  let stdinFd: number | 'ignore' = 'ignore';
  let stopPolling: (() => void) | undefined;
  let closed = false;
  const copies: Partial<Record<OutputStream, Dest>> = {};
  try {
    if (req.stdin && !isFifoPath(req.stdin)) {
      stdinFd = fs.openSync(req.stdin, fs.constants.O_RDONLY | O_CLOEXEC);
      theirs.push(stdinFd);
    } else if (req.stdin || req.openStdin) {
      const [r, w] = pipe(raw, 'stdin');
      theirs.push(r);
      stdinFd = r;
      stdin = new Sink(w, STDIN_LIMIT);
      signalDriven(raw, w, 'stdin pipe');
      if (req.stdin) source = copyStdinFifo(raw, req.stdin, stdin, () => stdin?.end());
    }
    const out = pipe(raw, 'stdout');
    const err = pipe(raw, 'stderr');
    mine.add(out[0]).add(err[0]);
    theirs.push(out[1], err[1]);
    if (req.stdout) copies.stdout = openDest(raw, req.stdout);
    if (req.stderr) copies.stderr = openDest(raw, req.stderr);
    outputs = new Outputs(new LogWriter(log), copies);
    for (const [fd, stream] of [[out[0], 'stdout'], [err[0], 'stderr']] as const) {
      signalDriven(raw, fd, `${stream} pipe`);
      readers.push(outputs.follow(fd, stream, () => closeMine(fd)));
    }
    const stdio: RuntimeStdio['stdio'] = [stdinFd, out[1], err[1]];
    const o = outputs;

    const closeTheirs = () => {
      for (const fd of theirs.splice(0)) closeQuietly(fd);
    };
    const io: ProcessIO = {
      runtimeStdio: () => ({ stdio }),
      started: async () => closeTheirs(),
      closeStdin: () => {
        if (source) source.finish();
        else stdin?.end();
      },
      writeStdin: (data) => {
        if (!stdin) throw new Error('the process has no stdin to write to (neither open_stdin nor a stdin FIFO)');
        if (!stdin.write(data)) {
          throw new Error(stdin.broken ? 'stdin is closed' : `stdin is full: the process has not read the last ${stdin.queued} bytes`);
        }
      },
      resize: () => {
        throw new Error('the process has no terminal to resize');
      },
      attach: (listener) => o.attach(listener),
      drained: () => {
        // EOF comes with a SIGIO; polling with a backoff as well costs little and never misses it
        stopPolling ??= pollUntil(() => {
          for (const r of readers) r.poll();
          return closed || readers.every((r) => r.ended);
        });
        return o.drained;
      },
      close: () => {
        if (closed) return;
        closed = true;
        stopPolling?.();
        closeTheirs();
        for (const r of readers) r.close();
        source?.close();
        stdin?.close();
        for (const fd of [...mine]) closeMine(fd);
        o.close();
      },
    };
    return io;
  } catch (e) {
    for (const r of readers) r.close();
    source?.close();
    stdin?.close();
    for (const fd of [...mine, ...theirs]) closeQuietly(fd);
    if (outputs) outputs.close();
    else {
      copies.stdout?.close();
      copies.stderr?.close();
    }
    throw e;
  }
}
