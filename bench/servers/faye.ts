/**
 * Faye 1.4, the Bayeux server, with its long-polling transport (the clients never ask for
 * WebSocket), holding a connect for up to 60 s like our polls.
 *
 * @module
 */
import http from 'node:http';
import faye from 'faye';
import { created, notFound, readMessage } from './publish.ts';

export function createServer(): http.Server {
  const bayeux = new faye.NodeAdapter({ mount: '/faye', timeout: 60 });
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/messages') return notFound(res);
    const message = await readMessage(req);
    bayeux.getClient().publish('/chat', message);
    created(res, message);
  });
  bayeux.attach(server);
  return server;
}
