/**
 * A lean HTTP/1.1 client for load: one keep-alive connection, the request's bytes written as
 * they are given (one at a time, or several pipelined: the answers come back in order), the
 * answer read only as far as its status line, Content-Length and body. It spends a fraction of node:http's CPU per request, so that on a
 * small machine the server, not the client, is what limits the figures.
 *
 * @module
 */
import net from 'node:net';

export interface LeanAnswer {
  status: number;
  body: string;
}

export interface LeanConnection {
  /** Sends a whole request (head and body) and resolves with its answer; requests sent before it are answered first. */
  send(request: Buffer | string): Promise<LeanAnswer>;
  /** Bytes read and written on the connection so far, HTTP heads included. */
  bytes(): number;
  /** The connection has ended, from either side. */
  readonly closed: boolean;
  close(): void;
}

/** A request's bytes: the head, with Host and Content-Length (none for a GET, as browsers send it), and the body. */
export function requestBytes(method: string, path: string, headers: Record<string, string> = {}, body = ''): Buffer {
  const length = method === 'GET' && body === '' ? [] : [`Content-Length: ${Buffer.byteLength(body)}`];
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), ...length];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

export function leanConnection(url: string): Promise<LeanConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => resolve(connection));
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    /** The requests sent and not yet answered, oldest first. */
    const waiting: Array<{ resolve: (answer: LeanAnswer) => void; reject: (error: Error) => void }> = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (let answer = takeAnswer(); answer; answer = takeAnswer()) waiting.shift()?.resolve(answer);
    });
    const failed = (error: Error) => {
      for (const waiter of waiting.splice(0)) waiter.reject(error);
      reject(error);
    };
    socket.on('error', failed);
    socket.on('close', () => failed(new Error('the server closed the connection')));

    /** The first whole answer in the buffer, taken out of it; undefined while it is not all there. */
    function takeAnswer(): LeanAnswer | undefined {
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return undefined;
      const head = buffered.toString('latin1', 0, headEnd);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const end = headEnd + 4 + length;
      if (buffered.length < end) return undefined;
      const answer = { status: Number(head.slice(9, 12)), body: buffered.toString('utf8', headEnd + 4, end) };
      buffered = buffered.subarray(end);
      return answer;
    }

    const connection: LeanConnection = {
      send(request) {
        return new Promise((resolveAnswer, rejectAnswer) => {
          waiting.push({ resolve: resolveAnswer, reject: rejectAnswer });
          socket.write(request);
        });
      },
      bytes: () => socket.bytesRead + socket.bytesWritten,
      get closed() {
        return socket.destroyed;
      },
      close: () => socket.destroy(),
    };
  });
}
