/**
 * Lesson 08's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import { moveToModuleLevel } from '../../shared/grading/mutant-edits.ts';
import type { Mutant } from '../../shared/grading/types.ts';

const FIRST_WRITE = 'send(stream, `retry: ${retryMs}\\n\\n${catchUp(position)}`);';

export const mutants: readonly Mutant[] = [
  // ---- framing.ts
  {
    id: 'lone-cr-not-split',
    mistake: 'splits data on \\r\\n and \\n only, so a lone \\r stays inside a data line (the client ends a line there)',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'fields.data.split(/\\r\\n|\\r|\\n/)', replace: 'fields.data.split(/\\r?\\n/)' }],
  },
  {
    id: 'crlf-split-twice',
    mistake: 'splits on \\r and on \\n separately, so \\r\\n makes an empty data line more',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'fields.data.split(/\\r\\n|\\r|\\n/)', replace: 'fields.data.split(/\\r|\\n/)' }],
  },
  {
    id: 'data-not-split',
    mistake: 'writes the data on one data: line, whatever it holds',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'for (const line of fields.data.split(/\\r\\n|\\r|\\n/)) text += `data: ${line}\\n`;', replace: 'text += `data: ${fields.data}\\n`;' }],
  },
  {
    id: 'id-zero-dropped',
    mistake: 'writes the id only when it is truthy, so an id of 0 (or \'\') loses its line',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'if (fields.id !== undefined)', replace: 'if (fields.id)' }],
  },
  {
    id: 'retry-zero-refused',
    mistake: 'refuses a retry of 0, which the text allows',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'fields.retry < 0)', replace: 'fields.retry <= 0)' }],
  },
  {
    id: 'retry-any-integer',
    mistake: 'accepts any integer as retry, so 1e21 is written "retry: 1e+21", which no client reads',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'Number.isSafeInteger(fields.retry)', replace: 'Number.isInteger(fields.retry)' }],
  },
  {
    id: 'id-may-hold-line-ending',
    mistake: 'lets an id or event name hold a line ending, which forges the fields after it',
    caughtBy: 'format-event',
    edits: [{ file: 'framing.ts', find: 'if (/[\\r\\n\\0]/.test(value))', replace: 'if (/\\0/.test(value))' }],
  },
  {
    id: 'json-with-real-line-breaks',
    mistake: 'turns the \\n escapes of the JSON back into real line breaks, "to keep the text readable"',
    caughtBy: 'text-intact',
    edits: [{ file: 'framing.ts', find: 'data: JSON.stringify(message) })', replace: "data: JSON.stringify(message).replaceAll('\\\\n', '\\n') })" }],
  },
  {
    id: 'gap-id-is-from',
    mistake: 'gives the gap event the id `from`, so the client reconnects from before the lost ids',
    caughtBy: 'eventsource-gap',
    edits: [{ file: 'framing.ts', find: 'id: gap.to, event:', replace: 'id: gap.from, event:' }],
  },
  // ---- server.ts: opening a stream
  {
    id: 'query-wins',
    mistake: 'reads the lastEventId query before the Last-Event-ID header, so every reconnect starts again from the first position',
    caughtBy: 'last-event-id-wins',
    edits: [{ file: 'server.ts', find: "parseLastEventId(header ?? querystring.parse(query).lastEventId ?? '0')", replace: "parseLastEventId(querystring.parse(query).lastEventId ?? header ?? '0')" }],
  },
  {
    id: 'query-checked-with-header',
    mistake: 'refuses a malformed lastEventId query even when a valid Last-Event-ID header is there (400), though the header wins',
    caughtBy: 'last-event-id-wins',
    edits: [
      {
        file: 'server.ts',
        find: "parseLastEventId(header ?? querystring.parse(query).lastEventId ?? '0')",
        replace: "parseLastEventId(querystring.parse(query).lastEventId ?? '0') === undefined ? undefined : parseLastEventId(header ?? querystring.parse(query).lastEventId ?? '0')",
      },
    ],
  },
  {
    id: 'loose-id',
    mistake: 'accepts any number JavaScript can read as an id: "", " 1", "1e3", "0x10"',
    caughtBy: 'rejects-bad-id',
    edits: [{ file: 'server.ts', find: "  if (typeof raw !== 'string' || !/^\\d{1,15}$/.test(raw)) return undefined;\n  return Number(raw);", replace: '  const id = Number(raw);\n  return Number.isInteger(id) && id >= 0 ? id : undefined;' }],
  },
  {
    id: 'accept-ignored',
    mistake: 'serves the stream whatever the Accept header asks for',
    caughtBy: 'accept-406',
    edits: [{ file: 'server.ts', find: 'if (!acceptsEventStream(req.headers.accept)) {', replace: 'if (false) {' }],
  },
  {
    id: 'accept-ignores-q',
    mistake: 'drops the ;parameters of each range, q included, so text/event-stream;q=0 ("anything but a stream") is served',
    caughtBy: 'accept-406',
    edits: [{ file: 'server.ts', find: 'return decisive !== undefined && quality.get(decisive)! > 0;', replace: 'return decisive !== undefined;' }],
  },
  {
    id: 'accept-exact',
    mistake: 'serves only Accept: text/event-stream exactly, refusing */* and a request without Accept',
    caughtBy: 'accept-406',
    edits: [{ file: 'server.ts', find: 'if (!acceptsEventStream(req.headers.accept)) {', replace: "if (req.headers.accept !== 'text/event-stream') {" }],
  },
  {
    id: 'accept-case-sensitive',
    mistake: 'compares the Accept header\'s media types case-sensitively, refusing TEXT/EVENT-STREAM',
    caughtBy: 'accept-406',
    edits: [{ file: 'server.ts', find: "range.split(';').map((part) => part.trim().toLowerCase())", replace: "range.split(';').map((part) => part.trim())" }],
  },
  {
    id: 'max-streams-off-by-one',
    mistake: 'lets one stream more than maxStreams open (> instead of >=)',
    caughtBy: 'max-streams-503',
    edits: [{ file: 'server.ts', find: 'if (streams.size >= maxStreams) {', replace: 'if (streams.size > maxStreams) {' }],
  },
  {
    id: 'no-retry-after',
    mistake: 'answers 503 for too many streams without saying when to come back',
    caughtBy: 'max-streams-503',
    edits: [{ file: 'server.ts', find: "      res.setHeader('retry-after', '5');\n", replace: '' }],
  },
  {
    id: 'headers-wait-for-first-event',
    mistake: 'leaves out flushHeaders() and writes nothing until there is an event, so the client never hears that it is connected',
    caughtBy: 'stream-headers',
    edits: [
      { file: 'server.ts', find: '    res.flushHeaders();\n', replace: '' },
      { file: 'server.ts', find: FIRST_WRITE, replace: 'const missed = catchUp(position);\n    if (missed) send(stream, `retry: ${retryMs}\\n\\n${missed}`);' },
    ],
  },
  {
    id: 'retry-never-sent',
    mistake: 'never sends retry:, so the client waits its own default before every reconnect',
    caughtBy: 'retry-field',
    edits: [{ file: 'server.ts', find: FIRST_WRITE, replace: 'send(stream, catchUp(position));' }],
  },
  {
    id: 'no-catch-up',
    mistake: 'sends only what is posted after the client connects, not what it missed',
    caughtBy: 'catch-up',
    edits: [{ file: 'server.ts', find: FIRST_WRITE, replace: 'send(stream, `retry: ${retryMs}\\n\\n`);' }],
  },
  {
    id: 'catch-up-includes-position',
    mistake: 'starts the catch-up at the message the client already has (>= instead of >)',
    caughtBy: 'catch-up',
    edits: [{ file: 'server.ts', find: 'history.slice(position - oldestKept + 1)', replace: 'history.slice(position - oldestKept)' }],
  },
  {
    id: 'live-greater-or-equal',
    mistake: 'writes a live message to a stream whose position equals its id (>= instead of >)',
    caughtBy: 'greater-than',
    edits: [{ file: 'server.ts', find: 'if (message.id > stream.position) {', replace: 'if (message.id >= stream.position) {' }],
  },
  // ---- the history
  {
    id: 'history-not-trimmed',
    mistake: 'never drops old messages, so no client is ever told of a gap (and memory grows for ever)',
    caughtBy: 'gap',
    edits: [{ file: 'server.ts', find: '    if (history.length > historyLimit) history.shift();\n', replace: '' }],
  },
  {
    id: 'ids-from-count',
    mistake: 'continues the ids from the number of initial messages instead of the last id',
    caughtBy: 'initial-messages',
    edits: [{ file: 'server.ts', find: 'let lastId = initialMessages.at(-1)?.id ?? 0;', replace: 'let lastId = initialMessages.length;' }],
  },
  {
    id: 'kept-not-a-copy',
    mistake: 'returns the history itself from kept(), so whoever holds it can change the server',
    caughtBy: 'initial-messages',
    edits: [{ file: 'server.ts', find: 'kept: () => history.slice(),', replace: 'kept: () => history,' }],
  },
  {
    id: 'kept-only-newest',
    mistake: 'keeps only the newest message for a restart',
    caughtBy: 'eventsource-restart',
    edits: [{ file: 'server.ts', find: 'kept: () => history.slice(),', replace: 'kept: () => history.slice(-1),' }],
  },
  {
    id: 'id-before-check',
    mistake: 'takes an id before the body is checked, so a refused post leaves a hole in the ids',
    caughtBy: 'post-messages',
    edits: [
      { file: 'server.ts', find: '    const problem = problemWithNewMessage(body);\n', replace: '    const id = ++lastId;\n    const problem = problemWithNewMessage(body);\n' },
      { file: 'server.ts', find: '{ id: ++lastId, text:', replace: '{ id, text:' },
    ],
  },
  {
    id: 'shared-streams',
    mistake: 'keeps the set of streams at the top of the file, shared by every app',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  const streams = new Set<Stream>();\n', 'export function createApp'),
  },
  // ---- the stream's life
  {
    id: 'heartbeat-per-stream',
    mistake: 'starts a heartbeat interval for each stream and never clears it',
    caughtBy: 'cleanup-on-disconnect',
    edits: [{ file: 'server.ts', find: 'heartbeat ??= setInterval(beat, heartbeatMs);', replace: 'setInterval(() => send(stream, PING), heartbeatMs);' }],
  },
  {
    id: 'heartbeat-left-running',
    mistake: 'never stops the heartbeat, even when no stream is left',
    caughtBy: 'cleanup-on-disconnect',
    edits: [{ file: 'server.ts', find: '    if (streams.size === 0) {\n      clearInterval(heartbeat);\n      heartbeat = undefined;\n    }\n', replace: '' }],
  },
  {
    id: 'heartbeat-in-seconds',
    mistake: 'reads heartbeatMs as seconds',
    caughtBy: 'heartbeat',
    edits: [{ file: 'server.ts', find: 'heartbeat ??= setInterval(beat, heartbeatMs);', replace: 'heartbeat ??= setInterval(beat, heartbeatMs * 1000);' }],
  },
  {
    id: 'close-not-heard',
    mistake: 'never listens for the response\'s close: a client that left stays in the set and is written to',
    caughtBy: 'cleanup-on-disconnect',
    edits: [
      { file: 'server.ts', find: "    res.on('close', stream.onGone);\n", replace: '' },
      { file: 'server.ts', find: "    res.req.socket.on('close', stream.onGone);\n", replace: '' },
    ],
  },
  {
    id: 'connection-close-not-heard',
    mistake: 'listens only to the response\'s close: streams pipelined behind another on one connection are never forgotten when the client leaves',
    caughtBy: 'pipelined-streams',
    edits: [{ file: 'server.ts', find: "    res.req.socket.on('close', stream.onGone);\n", replace: '' }],
  },
  {
    id: 'connection-listener-left',
    mistake: 'never takes its listener off the connection, so a keep-alive connection gathers one per stream it carried',
    caughtBy: 'keep-alive-listeners',
    edits: [{ file: 'server.ts', find: "    stream.res.req.socket.off('close', stream.onGone);\n", replace: '' }],
  },
  {
    id: 'max-age-timer-left',
    mistake: 'forgets a stream without clearing its max-age timer',
    caughtBy: 'cleanup-on-disconnect',
    edits: [{ file: 'server.ts', find: '    clearTimeout(stream.maxAge);\n', replace: '' }],
  },
  {
    id: 'max-age-never',
    mistake: 'reads maxStreamMs as seconds, so a stream is never renewed',
    caughtBy: 'eventsource-max-age',
    edits: [{ file: 'server.ts', find: 'setTimeout(() => endStream(stream), maxStreamMs)', replace: 'setTimeout(() => endStream(stream), maxStreamMs * 1000)' }],
  },
  {
    id: 'max-age-destroys',
    mistake: 'cuts the connection at the maximum age instead of ending the response',
    caughtBy: 'max-age',
    edits: [{ file: 'server.ts', find: "    endWithin(stream.res, endGraceMs, ': reconnect\\n\\n');", replace: '    stream.res.destroy();' }],
  },
  {
    id: 'max-age-end-waits-for-ever',
    mistake: 'ends a stream with res.end() alone: a client that never reads keeps the connection and its buffers for ever',
    caughtBy: 'end-grace',
    edits: [{ file: 'server.ts', find: "    endWithin(stream.res, endGraceMs, ': reconnect\\n\\n');", replace: "    stream.res.end(': reconnect\\n\\n');" }],
  },
  {
    id: 'no-slow-reader-cut',
    mistake: 'writes to every stream whatever waits in its buffer',
    caughtBy: 'slow-reader',
    edits: [{ file: 'server.ts', find: 'if (res.writableLength > maxBufferedBytes) {', replace: 'if (false) {' }],
  },
  {
    id: 'slow-reader-forgotten-not-cut',
    mistake: 'forgets a slow stream but leaves its connection open, so its client never reconnects',
    caughtBy: 'slow-reader',
    edits: [{ file: 'server.ts', find: '      forget(stream);\n      res.destroy();\n', replace: '      forget(stream);\n' }],
  },
  {
    id: 'buffer-limit-in-kilobytes',
    mistake: 'reads maxBufferedBytes as kilobytes, so a thousand times more waits per stream',
    caughtBy: 'slow-reader-memory',
    edits: [{ file: 'server.ts', find: 'if (res.writableLength > maxBufferedBytes) {', replace: 'if (res.writableLength > maxBufferedBytes * 1024) {' }],
  },
  {
    id: 'cut-checked-after-write',
    mistake: 'checks writableLength right after the write, which still holds the whole write: every catch-up larger than the limit is cut',
    caughtBy: 'big-catch-up',
    edits: [
      {
        file: 'server.ts',
        find: '    if (res.writableLength > maxBufferedBytes) {\n      forget(stream);\n      res.destroy();\n      return;\n    }\n    res.write(bytes);',
        replace: '    res.write(bytes);\n    if (res.writableLength > maxBufferedBytes) {\n      forget(stream);\n      res.destroy();\n    }',
      },
    ],
  },
  {
    id: 'shutdown-leaves-streams',
    mistake: 'shutdown() refuses new streams but leaves the open ones open',
    caughtBy: 'shutdown',
    edits: [{ file: 'server.ts', find: '      for (const stream of [...streams]) {\n        forget(stream);\n        endWithin(stream.res, endGraceMs);\n      }\n', replace: '' }],
  },
  {
    id: 'shutdown-still-serves',
    mistake: 'opens new streams after shutdown()',
    caughtBy: 'shutdown',
    edits: [{ file: 'server.ts', find: "    if (shuttingDown) {\n      sendJson(res, 503, { error: 'The server is shutting down.' });\n      return;\n    }\n", replace: '' }],
  },
  {
    id: 'default-retry-3000',
    mistake: 'sends retry: 3000 (the browsers\' own default) when no retryMs is given',
    caughtBy: 'defaults',
    edits: [{ file: 'server.ts', find: 'retryMs = DEFAULT_RETRY_MS,', replace: 'retryMs = 3000,' }],
  },
  {
    id: 'options-unchecked',
    mistake: 'takes the options as they come, so "256k" (NaN) silently turns the slow-reader cut off',
    caughtBy: 'options-checked',
    edits: [{ file: 'server.ts', find: "  wholeNumber('maxBufferedBytes', maxBufferedBytes, 0, Number.MAX_SAFE_INTEGER);\n", replace: '' }],
  },
  {
    id: 'timers-unbounded',
    mistake: 'checks the times only for being whole numbers, so 30 days overflows Node\'s timers and fires after 1 ms',
    caughtBy: 'options-checked',
    edits: [{ file: 'server.ts', find: "const MAX_TIMER_MS = 2_147_483_647;", replace: 'const MAX_TIMER_MS = Number.MAX_SAFE_INTEGER;' }],
  },
  // ---- main.ts
  {
    id: 'sigterm-without-shutdown',
    mistake: 'on SIGTERM closes the server without ending the streams (they are cut a second later)',
    caughtBy: 'main-process',
    edits: [{ file: 'main.ts', find: '  app.shutdown();\n', replace: '' }],
  },
  {
    id: 'main-ignores-bad-flag',
    mistake: 'main.ts turns a refused option into a crash with a stack trace instead of a message and exit code 2',
    caughtBy: 'main-process',
    edits: [{ file: 'main.ts', find: 'error.message);\n  process.exit(2);\n', replace: 'error.message);\n  throw error;\n' }],
  },
];
