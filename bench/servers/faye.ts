/**
 * Faye 1.4, the Bayeux server, with its long-polling transport (the clients never ask for
 * WebSocket), holding a connect for up to 60 s like our polls, mounted at /bayeux as lesson
 * 06's endpoint is. A message comes either through the server's own POST /messages, published
 * with Faye's in-process client (the fan-out), or as a Bayeux publish on /bayeux from any
 * client (the Bayeux measure).
 *
 * @module
 */
import http from 'node:http';
import faye from 'faye';
import { BAYEUX } from '../clients/subscribers.ts';
import { created, notFound, readMessage } from './publish.ts';

export function createServer(): http.Server {
  const bayeux = new faye.NodeAdapter({ mount: BAYEUX.path, timeout: 60 });
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/messages') return notFound(res);
    const message = await readMessage(req);
    bayeux.getClient().publish(BAYEUX.channel, message);
    created(res, message);
  });
  bayeux.attach(server);
  return server;
}
