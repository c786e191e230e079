/**
 * The benchmark clients' HTTP: node:http on keep-alive connections, with no limit on how
 * many are open at once (each held poll needs a connection of its own).
 *
 * @module
 */
import http from 'node:http';

export interface Answer {
  status: number;
  text: string;
}

export function client(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
  const { hostname, port } = new URL(baseUrl);
  return {
    agent,
    /**
     * Sends one request. `sent` resolves once the request is written out, so that a
     * caller can pace how fast new connections are opened.
     */
    request(method: string, path: string, body?: string, contentType = 'application/json', extraHeaders: http.OutgoingHttpHeaders = {}): { sent: Promise<void>; answer: Promise<Answer> } {
      let written!: () => void;
      const sent = new Promise<void>((resolve) => (written = resolve));
      const answer = new Promise<Answer>((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = { ...extraHeaders, ...(body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }) };
        const req = http.request({ agent, hostname, port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.on('finish', written);
        req.end(body);
      });
      return { sent, answer };
    },
  };
}

export type Client = ReturnType<typeof client>;
