/**
 * The ceiling for the chat's figures on this machine: Express parsing a JSON body and
 * answering 201 with a small JSON object — what the chat does per message, without any of
 * the work (no session, no database, no disk). Run as a process of its own; prints
 * `listening http://127.0.0.1:<port>`.
 *
 * @module
 */
import express from 'express';
import type { AddressInfo } from 'node:net';

const app = express();
app.set('etag', false);
app.use(express.json({ limit: '16kb' }));
let id = 0;
app.post('/messages', (req, res) => {
  res.status(201).json({ id: ++id, from: 1, to: req.body?.to, content: req.body?.content, time: Date.now() });
});
const server = app.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`));
