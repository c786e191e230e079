/**
 * Small HTTP helpers shared by the workshop server and the graders.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  readonly server: http.Server;
  /** Closes the server and every connection it still has, held requests included. */
  close(): Promise<void>;
}

/**
 * Starts `handler` on 127.0.0.1 (or `host`) and resolves once it accepts connections. Port 0
 * (the default) lets the system pick a free port, so graders never collide.
 */
export function listen(handler: http.RequestListener, port = 0, host = '127.0.0.1', { requestTimeoutMs = 10_000 } = {}): Promise<Listening> {
  // A request must arrive whole within requestTimeoutMs: a client that sends its body a byte a
  // minute is cut off instead of holding a connection for ever. Held answers are not affected
  // (the limit is on receiving the request), and Node checks it every quarter of the limit.
  const server = http.createServer(
    { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(requestTimeoutMs / 4, 5000)) },
    handler,
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { address, family, port: actual } = server.address() as AddressInfo;
      resolve({
        url: `http://${family === 'IPv6' ? `[${address}]` : address}:${actual}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
