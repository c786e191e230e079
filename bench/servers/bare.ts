/**
 * The limit of this machine: plain node:http, no framework. A message is serialised once
 * and the same bytes are written to every held poll.
 *
 * @module
 */
import http from 'node:http';
import { created, notFound, readMessage, type Message } from './publish.ts';

export function createServer(): http.Server {
  let waiting: http.ServerResponse[] = [];
  let last: Message | undefined;
  const send = (res: http.ServerResponse, bytes: Buffer) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  };
  return http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/poll?after=')) {
      const after = Number(req.url.slice('/poll?after='.length));
      if (last && last.id > after) send(res, Buffer.from(JSON.stringify({ status: 'messages', messages: [last] })));
      else waiting.push(res);
    } else if (req.method === 'POST' && req.url === '/messages') {
      last = await readMessage(req);
      const bytes = Buffer.from(JSON.stringify({ status: 'messages', messages: [last] }));
      const answered = waiting;
      waiting = [];
      for (const res of answered) if (!res.destroyed) send(res, bytes);
      created(res, last);
    } else notFound(res);
  });
}
