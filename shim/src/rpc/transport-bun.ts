// The API server's socket on Bun: Bun.listen and Bun.connect (see transport.ts). Bun's socket.write sends what the
// kernel takes now and returns the count, buffering nothing: the rest is queued here and sent on drain. Bun's
// types are not in this project's @types: the few used here are declared below.
import type { ConnEvents, Transport } from './transport.js';

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  data: State;
}
interface SocketHandler {
  open?(s: BunSocket): void;
  data(s: BunSocket, chunk: Buffer): void;
  drain?(s: BunSocket): void;
  close?(s: BunSocket): void;
  error?(s: BunSocket, e: Error): void;
}
interface BunNet {
  listen(o: { unix: string; socket: SocketHandler }): { stop(closeActive?: boolean): void };
  connect(o: { unix: string; socket: SocketHandler }): Promise<BunSocket>;
}

interface State {
  events: ConnEvents;
  queue: Uint8Array[];
  ending: boolean;
  closed: boolean;
}

/** Writes what is queued; ends the socket when asked to and nothing is left. */
function flush(s: BunSocket): void {
  const st = s.data;
  while (st.queue.length > 0) {
    const b = st.queue[0] as Uint8Array;
    const n = s.write(b);
    if (n < b.length) {
      st.queue[0] = b.subarray(Math.max(n, 0));
      return;
    }
    st.queue.shift();
  }
  if (st.ending) s.end();
}

function gone(s: BunSocket): void {
  const st = s.data;
  if (!st || st.closed) return;
  st.closed = true;
  st.queue.length = 0;
  st.events.closed();
}

export function transport(): Transport {
  const bun = (globalThis as unknown as { Bun: BunNet }).Bun;
  return {
    listen: async (path, accept) => {
      const server = bun.listen({
        unix: path,
        socket: {
          open(s) {
            const st: State = { events: undefined as unknown as ConnEvents, queue: [], ending: false, closed: false };
            s.data = st;
            st.events = accept({
              write: (data) => {
                if (st.closed || st.ending) return;
                st.queue.push(data);
                if (st.queue.length === 1) flush(s);
              },
              end: () => {
                if (st.closed || st.ending) return;
                st.ending = true;
                if (st.queue.length === 0) s.end();
              },
            });
          },
          data: (s, chunk) => s.data.events.data(chunk),
          drain: flush,
          close: gone,
          error: gone,
        },
      });
      return { close: () => server.stop(true) };
    },
    answers: async (path) => {
      try {
        const s = await bun.connect({ unix: path, socket: { data() {} } });
        s.end();
        return true;
      } catch {
        return false;
      }
    },
  };
}
