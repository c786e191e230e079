/**
 * The benchmark's processes: the server under test and the clients each run in a child
 * process of their own, driven over Node's IPC channel by the parent (bench/run.ts).
 *
 * A child announces `{ ready: ... }` once, then answers every `{ id, ask }` with
 * `{ id, answer }` or `{ id, error }`.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child<Ready> {
  readonly pid: number;
  readonly ready: Ready;
  ask<T>(question: unknown, withinMs?: number): Promise<T>;
  stop(): Promise<void>;
}

type Reply = { id: number; answer?: unknown; error?: string };

/** Starts `bench/<script>` with tsx and resolves once it says it is ready. */
export async function startChild<Ready>(script: string, args: readonly string[], withinMs = 30_000): Promise<Child<Ready>> {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const child = fork(file, [...args], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await firstMessage<{ ready: Ready }>(child, withinMs, `${script} to start`);
  return handle(child, ready.ready);
}

function handle<Ready>(child: ChildProcess, ready: Ready): Child<Ready> {
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.answer);
  });
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the child process ended (${signal ?? code}) before answering`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    ready,
    ask<T>(question: unknown, withinMs = 120_000): Promise<T> {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within ${withinMs} ms to ${JSON.stringify(question)}`)), withinMs);
        pending.set(id, {
          resolve: (value) => (clearTimeout(timer), resolve(value as T)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        child.send({ id, ask: question });
      });
    },
    /** Asks the child to exit; kills it if it does not. */
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => (clearTimeout(kill), resolve()));
        child.send({ id: 0, ask: 'exit' });
      }),
  };
}

function firstMessage<T>(child: ChildProcess, withinMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`timed out waiting for ${what}`))), withinMs);
    child.once('message', (message) => (clearTimeout(timer), resolve(message as T)));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${what}: it exited (${code}) first`))));
  });
}

/** In a child: announce readiness, then answer the parent's questions with `answer`. */
export function serveParent(ready: unknown, answer: (question: never) => unknown | Promise<unknown>): void {
  process.on('message', async ({ id, ask }: { id: number; ask: never }) => {
    if (ask === 'exit') process.exit(0);
    try {
      process.send!({ id, answer: await answer(ask) });
    } catch (error) {
      process.send!({ id, error: (error as Error).stack ?? String(error) });
    }
  });
  // The parent's end of the channel closing means the parent is gone: go with it.
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready });
}
