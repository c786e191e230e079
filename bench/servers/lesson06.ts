/**
 * The workshop's lesson 06 solution, Bayeux over long-polling, its endpoint at /bayeux,
 * holding a /meta/connect for up to 60 s like the other servers hold their polls. Its limit of
 * 1,000 clients per address is lifted: every bench client comes from 127.0.0.1.
 */
import http from 'node:http';
import { createApp } from '../../solutions/06-bayeux/server.ts';

export async function createServer(): Promise<http.Server> {
  return http.createServer(await createApp({ timeoutMs: 60_000, maxClientsPerAddress: 100_000 }));
}
