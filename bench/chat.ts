/**
 * Measure 4: how many chat messages per second the reference chat (lesson 05) acknowledges
 * — each acknowledgement meaning "on disk": written, fsynced and renamed into place.
 *
 * It runs the chat in this process with its database in .workshop/bench/ (the project's
 * disk, not a memory file system), two friends, and senders on 127.0.0.1 keeping 1, 8 or 64
 * messages in flight. With one in flight every message pays for a whole file write; with
 * more, group commit lets one write carry many.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { listen } from '../shared/http.ts';
import { projectRoot, workRoot } from '../shared/paths.ts';
import { client } from './lib/http.ts';
import { percentile } from './lib/stats.ts';
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

const PASSWORD = 'a bench password';

/** Two new users, ann and ben, friends (ann asked, ben accepted); ann's token and ben's id. */
async function friends(url: string): Promise<{ ann: string; ben: number }> {
  for (const name of ['ann', 'ben']) await post(url, '/register', { name, password: PASSWORD });
  const ann = await post<{ token: string }>(url, '/login', { name: 'ann', password: PASSWORD });
  const ben = await post<{ token: string; user: { id: number } }>(url, '/login', { name: 'ben', password: PASSWORD });
  const request = await post<{ request: { id: number } }>(url, '/friends', { name: 'ben' }, ann.token);
  const annId = (await (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${ann.token}` } })).json()) as { user: { id: number } };
  await post(url, `/friends/${annId.user.id}/accept`, {}, ben.token);
  return { ann: ann.token, ben: request.request.id };
}

async function run(inFlight: number, messages: number): Promise<ChatResult> {
  const folder = path.join(workRoot, 'bench', `chat-${inFlight}`);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, 'chat.sqlite');
  const app = await createApp({ file, holdMs: 25_000 });
  const server = await listen(app);
  try {
    const { ann, ben } = await friends(server.url);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < messages) {
          next++;
          await post(server.url, '/messages', { to: ben, content: `message ${next} with some ordinary length of text` }, ann);
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

export interface FloodResult {
  /** What protects the other users: every defence, or only the queue in front of scrypt. */
  defences: string;
  /** Logins sent at once (0: the quiet baseline). */
  logins: number;
  /** How the flood was answered: status → count. */
  answers: Record<string, number>;
  /** Acknowledged sends by another user while the flood lasted, and their latency. */
  sends: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The chat (lesson 05 solution) as a process of its own, on a fresh file; resolves with its URL. */
async function chatProcess(folder: string, args: readonly string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'solutions', '05-chat', 'main.ts'), '--port', '0', '--file', path.join(folder, 'chat.sqlite'), ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the chat exited (${code}) before listening`)));
  });
  return { url, child };
}

/**
 * Measure 4b: a flood of logins (each a scrypt hash, on purpose slow) against the chat, while
 * another user keeps sending messages one at a time: how long each acknowledgement takes.
 * Once with every defence (limits per address and per name, before any hashing; hashing two
 * at a time), once with the limits lifted so that only the hashing queue protects the writes.
 */
export async function measureLoginFlood(logins: number, quietSends: number): Promise<FloodResult[]> {
  const variants: Array<[string, string[]]> = [
    ['limits and hashing queue (as shipped)', []],
    ['hashing queue only (limits lifted)', ['--password-tries-per-address', '1000000', '--max-connections-per-address', '1000000']],
  ];
  const results: FloodResult[] = [];
  for (const [defences, args] of variants) {
    const folder = path.join(workRoot, 'bench', 'login-flood');
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    const chat = await chatProcess(folder, args);
    try {
      const { ann, ben } = await friends(chat.url);
      let sent = 0;
      const send = async (): Promise<number> => {
        const started = performance.now();
        await post(chat.url, '/messages', { to: ben, content: `message ${++sent} while the others log in` }, ann);
        return performance.now() - started;
      };
      if (results.length === 0) {
        const quiet: number[] = [];
        for (let n = 0; n < quietSends; n++) quiet.push(await send());
        results.push({ defences: 'no flood (baseline)', logins: 0, answers: {}, sends: quiet.length, ...latency(quiet) });
      }
      const answers: Record<string, number> = {};
      let flooding = true;
      // The flood has connections of its own (node:http), apart from the sender's (fetch).
      const flooder = client(chat.url);
      const flood = Promise.all(
        Array.from({ length: logins }, async (_, n) => {
          const body = JSON.stringify({ name: `guess${n % 20}`, password: `wrong guess ${n}` });
          const status = await flooder.request('POST', '/login', body).answer.then((r) => String(r.status), () => 'connection refused');
          answers[status] = (answers[status] ?? 0) + 1;
        }),
      ).finally(() => {
        flooding = false;
        flooder.agent.destroy();
      });
      const during: number[] = [];
      while (flooding || during.length < 20) during.push(await send());
      await flood;
      results.push({ defences, logins, answers, sends: during.length, ...latency(during) });
    } finally {
      chat.child.kill('SIGKILL');
    }
  }
  return results;
}

function latency(samples: readonly number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  return { p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)), maxMs: round(Math.max(...samples)) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
