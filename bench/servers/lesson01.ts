/** The workshop's lesson 01 solution: naive polling, every answer at once. */
import http from 'node:http';
import { createApp } from '../../solutions/01-naive-polling/server.ts';

export function createServer(): http.Server {
  return http.createServer(createApp());
}
