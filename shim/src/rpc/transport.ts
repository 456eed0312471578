// The unix socket under the shim's API server, one backend per engine: Bun.listen on Bun, node:net on Node. On Bun,
// loading node:net alone costs each shim ~1.8 MB and two threads (measured: an idle Bun.listen server has the
// memory of an empty Bun process); the shim runs once per container. Each backend is loaded only on its engine.

/** One client connection. */
export interface Conn {
  /** Sends bytes in order; what the socket cannot take yet is queued. Ignored once the connection is closed. */
  write(data: Uint8Array): void;
  /** Closes the connection once everything written has been sent. */
  end(): void;
}

/** What the server does with a connection's events. */
export interface ConnEvents {
  data(chunk: Buffer): void;
  /** The connection is gone (closed by either side, or failed). */
  closed(): void;
}

export interface Listening {
  close(): void;
}

export interface Transport {
  /** Listens on a unix socket at path; accept is called for each new connection. */
  listen(path: string, accept: (c: Conn) => ConnEvents): Promise<Listening>;
  /** Whether something accepts connections on the unix socket at path. */
  answers(path: string): Promise<boolean>;
}

let loaded: Promise<Transport> | undefined;

export function loadTransport(): Promise<Transport> {
  loaded ??= process.versions.bun ? import('./transport-bun.js').then((m) => m.transport()) : import('./transport-node.js').then((m) => m.transport());
  return loaded;
}
