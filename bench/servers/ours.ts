/** The workshop's lesson 04 solution, as the learner's server runs it. */
import http from 'node:http';
import { createApp } from '../../solutions/04-resume/server.ts';

export function createServer(): http.Server {
  return http.createServer(createApp({ holdMs: 60_000 }));
}
