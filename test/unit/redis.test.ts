/**
 * shared/redis.ts: the private redis-server of lesson 09's graders, the bench and the
 * workshop starts, answers, keeps acknowledged writes across a restart, and leaves no process.
 * Without redis-server these tests are skipped with the fix, and fail under CI=true.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitUntil } from '../../shared/grading/wait.ts';
import { pingRedis, redisAvailable, startRedis, type RedisServer } from '../../shared/redis.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const missing = redisAvailable();
if (missing && process.env.CI === 'true') throw new Error(`${missing}. Under CI=true a missing redis-server is a failure.`);
if (missing) console.warn(`!!! shared/redis.ts tests skipped: ${missing}`);

async function started(): Promise<RedisServer> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

function client(url: string): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  connection.on('error', () => {});
  cleanups.push(() => connection.disconnect());
  return connection;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(missing !== undefined)('shared/redis.ts startRedis()', () => {
  it('starts redis-server on a free port of 127.0.0.1 that answers PING', async () => {
    const redis = await started();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await pingRedis(redis.port)).toBe(true);
    expect(await client(redis.url).config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
  });

  it('restarts on the same port and folder, and an acknowledged write is still there', async () => {
    const redis = await started();
    const before = redis.pid;
    await client(redis.url).set('kept', 'yes');
    await redis.restart();
    expect(redis.pid, 'a new redis-server process').not.toBe(before);
    expect(await client(redis.url).get('kept'), 'the value written before the restart (replayed from the AOF)').toBe('yes');
  });

  it('keeps an acknowledged write across kill -9 too (appendfsync always)', async () => {
    const redis = await started();
    await client(redis.url).set('kept', 'after a crash');
    await redis.kill();
    expect(await pingRedis(redis.port, 500)).toBe(false);
    await redis.restart();
    expect(await client(redis.url).get('kept')).toBe('after a crash');
  });

  it('stop() leaves no process and no folder', async () => {
    const redis = await startRedis();
    const pid = redis.pid!;
    expect(isRunning(pid)).toBe(true);
    await redis.stop();
    expect(isRunning(pid), `redis-server ${pid} still runs after stop()`).toBe(false);
    expect(redis.pid).toBeUndefined();
    expect(existsSync(redis.dir), 'its temporary folder').toBe(false);
    expect(await pingRedis(redis.port, 500)).toBe(false);
  });
});

describe.skipIf(missing !== undefined)('shared/redis.ts and a starter that dies', () => {
  it('a redis-server does not outlive the process that started it, even one killed with SIGKILL', async () => {
    const script = "const { startRedis } = await import(process.argv[1]); const redis = await startRedis(); console.log(`pid ${redis.pid}`);";
    const starter = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, new URL('../../shared/redis.ts', import.meta.url).href], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => starter.kill('SIGKILL'));
    const pid = await new Promise<number>((resolve) => starter.stdout!.on('data', (chunk: Buffer) => {
      const found = /pid (\d+)/.exec(chunk.toString());
      if (found) resolve(Number(found[1]));
    }));
    expect(isRunning(pid)).toBe(true);
    starter.kill('SIGKILL');
    const gone = await waitUntil(() => (isRunning(pid) ? undefined : true), { withinMs: 5000, everyMs: 20 });
    expect(gone, `redis-server ${pid} still runs after its starter was killed`).toBe(true);
  });
});

describe('shared/redis.ts redisAvailable()', () => {
  it('names the fix when redis-server is not there', () => {
    const saved = process.env.COMET_REDIS_SERVER;
    process.env.COMET_REDIS_SERVER = 'comet-no-such-redis-server';
    try {
      expect(redisAvailable()).toMatch(/not on the PATH — install it: apt-get install redis-server/);
    } finally {
      if (saved === undefined) delete process.env.COMET_REDIS_SERVER;
      else process.env.COMET_REDIS_SERVER = saved;
    }
  });
});
