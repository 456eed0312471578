// The contract between the shim's process management (shim/src/*.ts) and its stdio and logs (shim/src/io/).
// One ProcessIO per container process (the init or an exec), made before `tsrun create`/`tsrun exec` runs.

export interface StdioRequest {
  /** FIFO or file the process reads; '' for none (or a shim-owned pipe when openStdin). */
  stdin: string;
  /** FIFO or file that gets a copy of stdout; '' for the log only. */
  stdout: string;
  stderr: string;
  terminal: boolean;
  openStdin: boolean;
}

export interface LogOptions {
  /** The CRI-format log file (`<RFC3339Nano> stdout|stderr F|P <text>`). */
  path: string;
  /** Rotate when the file passes this many bytes (0: never); keeps `maxFiles` old files as path.1, path.2, ... */
  maxSize: number;
  maxFiles: number;
}

/** What the runtime command is given: fds for its stdin/stdout/stderr, or a console socket for a terminal. */
export interface RuntimeStdio {
  /** For child_process.spawn's stdio[0..2] (fd numbers the shim owns), or 'ignore'. */
  stdio: [number | 'ignore', number | 'ignore', number | 'ignore'];
  /** For a terminal: the path to pass as --console-socket; the pty master arrives there. */
  consoleSocket?: string;
}

export type OutputStream = 'stdout' | 'stderr';
export type OutputListener = (stream: OutputStream, data: Buffer) => void;

export interface ProcessIO {
  runtimeStdio(): RuntimeStdio;
  /** Called once the runtime command has exited (create/exec returned): the shim closes its copies of the
   * container's ends; for a terminal, resolves once the pty master has been received. */
  started(): Promise<void>;
  /** Sends EOF to the process's stdin (close-io). */
  closeStdin(): void;
  writeStdin(data: Buffer): void;
  resize(width: number, height: number): void;
  /** Live output from now on; returns the unsubscribe function. */
  attach(listener: OutputListener): () => void;
  /** Resolves when every byte the process wrote has been logged and copied (its output ends are at EOF). */
  drained(): Promise<void>;
  /** Closes everything; after drained() for an exited process. */
  close(): void;
}

export type OpenProcessIO = (req: StdioRequest, log: LogOptions) => Promise<ProcessIO>;
