// The API server's socket on Node: node:net (see transport.ts).
import * as net from 'node:net';
import type { Transport } from './transport.js';

export function transport(): Transport {
  return {
    listen: (path, accept) =>
      new Promise((resolve, reject) => {
        const server = net.createServer((sock) => {
          const events = accept({
            write: (data) => {
              if (!sock.destroyed && sock.writable) sock.write(data);
            },
            end: () => {
              sock.end();
              sock.destroySoon();
            },
          });
          sock.on('data', (chunk: Buffer) => events.data(chunk));
          sock.on('close', () => events.closed());
          sock.on('error', () => events.closed());
        });
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve({ close: () => server.close() });
        });
      }),
    answers: (path) =>
      new Promise((resolve) => {
        const c = net.createConnection(path);
        c.once('connect', () => (c.destroy(), resolve(true)));
        c.once('error', () => resolve(false));
      }),
  };
}
