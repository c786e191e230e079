/**
 * The workshop's own HTTP server (npm start, and every lesson served in-process) drops a
 * request that arrives too slowly, and does not cut off an answer that is held.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../../shared/http.ts';
import { rawExchange } from '../../shared/grading/raw-http.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function serve(options?: { requestTimeoutMs: number }): Promise<Listening> {
  // Answers every request after 1.5 s: longer than the short request limit below.
  const held = await listen((_req, res) => void setTimeout(() => res.end('held answer'), 1500), 0, '127.0.0.1', options);
  cleanups.push(() => held.close());
  return held;
}

describe('shared/http.ts listen()', () => {
  it('limits the time to receive a request to 10 s by default', async () => {
    const { server } = await serve();
    expect(server.requestTimeout, 'server.requestTimeout (ms)').toBe(10_000);
    expect(server.headersTimeout, 'server.headersTimeout (ms)').toBe(10_000);
  });

  it('drops a request whose body never finishes, within a few seconds of the limit', async () => {
    const { url } = await serve({ requestTimeoutMs: 500 });
    const answer = await rawExchange(undefined, url, 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"a', 5000);
    expect(answer, 'the connection was still open 5 s later: a slow body holds it for ever').toBeDefined();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('does not cut off an answer that is held longer than the limit', async () => {
    const { url } = await serve({ requestTimeoutMs: 500 });
    const answer = await rawExchange(undefined, url, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 5000);
    expect(answer).toMatch(/^HTTP\/1\.1 200[\s\S]*held answer$/);
  });
});
