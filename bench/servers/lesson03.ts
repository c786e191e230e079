/**
 * The workshop's lesson 03 solution: held polls on Express, each answered with its own
 * `res.json` — what lesson 04 starts from before it leaves Express.
 */
import http from 'node:http';
import { createApp } from '../../solutions/03-timeouts/server.ts';

export function createServer(): http.Server {
  return http.createServer(createApp({ holdMs: 60_000 }));
}
