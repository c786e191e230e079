/**
 * Malformed bodies for a "post a message" route, shared by the lessons' graders, and the
 * check that each one is refused with 400 and a JSON error.
 *
 * @module
 */
import { check, show } from './failure.ts';
import { call, describeReply } from './http-client.ts';
import type { TestContext } from './types.ts';

export interface BadBody {
  readonly what: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

const json = { 'content-type': 'application/json' };

/** Bodies a message route must refuse, given the longest text it accepts. */
export function badMessageBodies(maxTextLength: number): BadBody[] {
  return [
    { what: 'broken JSON', body: '{"text": "unfinished', headers: json },
    { what: 'an object without text', body: '{}', headers: json },
    { what: 'text that is a number', body: '{"text": 42}', headers: json },
    { what: 'text that is empty', body: '{"text": ""}', headers: json },
    { what: 'text of only spaces', body: '{"text": "   "}', headers: json },
    { what: `text longer than ${maxTextLength} characters`, body: JSON.stringify({ text: 'x'.repeat(maxTextLength + 1) }), headers: json },
    // The limit is on the text as sent: spaces count (trimming is only for "is it empty?").
    { what: `text of ${maxTextLength + 1} characters, one of them a leading space`, body: JSON.stringify({ text: ` ${'x'.repeat(maxTextLength)}` }), headers: json },
    { what: 'a JSON array', body: '["hello"]', headers: json },
    { what: 'plain text instead of JSON', body: 'hello', headers: { 'content-type': 'text/plain' } },
  ];
}

/** `{ "error": "..." }` with a message that says something (not an empty string). */
export function isErrorBody(body: unknown): boolean {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof error === 'string' && error.trim() !== '';
}

/** Posts each bad body to `path` and checks the answer is 400 with `{ "error": "..." }`. */
export async function checkRefusesEach(ctx: TestContext, url: string, path: string, cases: readonly BadBody[]): Promise<void> {
  for (const bad of cases) {
    ctx.step(`posting ${bad.what}`);
    const reply = await call(url, 'POST', path, { body: bad.body, headers: bad.headers });
    check(reply.status === 400, {
      expected: `status 400 for ${bad.what} (${show(bad.body, 40)})`,
      actual: describeReply(reply),
    });
    check(isErrorBody(reply.body), {
      expected: `a JSON body like {"error": "what is wrong"} (a message, not empty) for ${bad.what}`,
      actual: describeReply(reply),
    });
  }
}

/**
 * After only refused posts, the next good one must be the first message: id 1. A refused post
 * stores nothing and uses up no id (ids have no holes: clients count on them). Any 2xx will do
 * here: the status of a stored post is another test's to check, so one mistake costs one test.
 */
export async function checkRefusalsLeftNoTrace(ctx: TestContext, url: string): Promise<void> {
  ctx.step('posting a good message after the refused ones');
  const reply = await call(url, 'POST', '/messages', { json: { text: 'the first good one' } });
  const id = (reply.body as { id?: unknown } | undefined)?.id;
  const accepted = reply.status >= 200 && reply.status < 300;
  check(accepted && id === 1, {
    expected: 'the first good message after only refused posts stored with id 1: a refused post stores nothing and uses no id',
    actual: accepted ? `it got id ${show(id)}` : describeReply(reply),
    look: 'server.ts: check the body first and answer 400 before anything else happens: no id taken, nothing stored.',
  });
}

/** An unknown route must answer 404 with a JSON error too (the lesson's error handlers). */
export async function checkUnknownRoute(ctx: TestContext, url: string): Promise<void> {
  ctx.step('GET /no-such-route');
  const reply = await call(url, 'GET', '/no-such-route');
  check(reply.status === 404 && isErrorBody(reply.body), {
    expected: 'GET /no-such-route answered 404 with {"error": "..."}',
    actual: describeReply(reply),
    look: 'server.ts: keep app.use(unknownRoute) and app.use(errorAsJson) at the end of createApp(), as in the starter.',
  });
}
