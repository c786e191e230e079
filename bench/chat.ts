/**
 * Measure 4: how many chat messages per second the reference chat (lesson 05) acknowledges
 * — each acknowledgement meaning "on disk": written, fsynced and renamed into place.
 *
 * It runs the chat in this process with its database in .workshop/bench/ (the project's
 * disk, not a memory file system), two friends, and senders on 127.0.0.1 keeping 1, 8 or 64
 * messages in flight. With one in flight every message pays for a whole file write; with
 * more, group commit lets one write carry many.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { listen } from '../shared/http.ts';
import { workRoot } from '../shared/paths.ts';
import { createApp } from '../solutions/05-chat/server.ts';

export interface ChatResult {
  inFlight: number;
  messages: number;
  perSecond: number;
  fileKb: number;
}

async function post<T>(url: string, route: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function run(inFlight: number, messages: number): Promise<ChatResult> {
  const folder = path.join(workRoot, 'bench', `chat-${inFlight}`);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, 'chat.sqlite');
  const app = await createApp({ file, holdMs: 25_000 });
  const server = await listen(app);
  try {
    for (const name of ['ann', 'ben']) await post(server.url, '/register', { name, password: 'password' });
    const ann = await post<{ token: string }>(server.url, '/login', { name: 'ann', password: 'password' });
    await post(server.url, '/friends', { name: 'ben' }, ann.token);
    const ben = 2;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < messages) {
          next++;
          await post(server.url, '/messages', { to: ben, content: `message ${next} with some ordinary length of text` }, ann.token);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { inFlight, messages, perSecond: Math.round(messages / seconds), fileKb: Math.round((await stat(file)).size / 1024) };
  } finally {
    await app.close();
    await server.close();
  }
}

/** Acknowledged messages per second with 1, 8 and 64 messages in flight. */
export async function measureChat(messages: number): Promise<ChatResult[]> {
  const results: ChatResult[] = [];
  for (const inFlight of [1, 8, 64]) results.push(await run(inFlight, messages));
  return results;
}
