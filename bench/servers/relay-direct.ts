/**
 * The comparison for measure 7: lesson 07's named queries served straight from the database
 * by an express app beside it, as you would with no firewall between callers and the
 * database. The same database module as the agent's (solutions/07-relay/database.ts), the
 * same request body as a caller sends the relay, and an API key checked the same way (its
 * SHA-256 against a stored hash): `POST /queries {query, params}` → `{ result }` or `{ error }`.
 * The key comes from the environment (RELAY_CALLER_KEY). Prints `listening http://127.0.0.1:<port>`.
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { openDemoDatabase, runNamedQuery } from '../../solutions/07-relay/database.ts';
import { hashKey } from '../../solutions/07-relay/secrets.ts';

const keyHash = hashKey(process.env.RELAY_CALLER_KEY ?? '');
const database = await openDemoDatabase();
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.post('/queries', express.json({ limit: '16kb' }), (req, res) => {
  res.set('Cache-Control', 'no-store');
  const key = /^Bearer ([\x21-\x7e]{1,200})$/.exec(req.get('authorization') ?? '')?.[1];
  if (key === undefined || hashKey(key) !== keyHash) return void res.status(401).json({ error: 'Send your API key as "Authorization: Bearer <key>".' });
  const { query, params = {} } = (req.body ?? {}) as { query?: unknown; params?: unknown };
  const outcome = runNamedQuery(database, query, params);
  if (outcome.status === 200) res.json({ result: outcome.result });
  else res.status(outcome.status).json({ error: outcome.error });
});
const server = app.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`));
