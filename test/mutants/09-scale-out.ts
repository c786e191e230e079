/**
 * Lesson 09's curated mutants: the reference solution with one typical mistake each — the
 * mistakes of a first scale-out — and the grader test that must catch it (proved by
 * test/meta/lessons.test.ts).
 */
import type { Mutant } from '../../shared/grading/types.ts';

const appendCall = '      const id = await run(commands, (redis) => redis.eval(APPEND_SCRIPT, 2, seqKey, streamKey, text, time, historyLimit));';
const xread = "            const reply = await run(reader, (redis) => redis.xread('BLOCK', blockMs, 'STREAMS', streamKey, `${last}-0`));";
const resetCheck = '            if (messages.length > 0 && messages[0]!.id !== last + 1) {';
const postAppend = '      message = await broker.append((body as { text: string }).text);';
const heldCompare = '      if (message.id > poll.after) answer(poll, bytes);';
const newer = '    const newer = history.slice(after - oldestKept + 1);';
const followCall = '  broker.follow(lastId, onMessage, onReset);';
const catchBlock = `          } catch (error) {
            if (closed) return;`;

export const mutants: readonly Mutant[] = [
  {
    id: 'local-counter',
    mistake: 'numbers messages with a counter of its own process and writes them with XADD: two processes give out the same ids',
    caughtBy: 'ids-consecutive-across-processes',
    edits: [
      {
        file: 'broker.ts',
        find: appendCall,
        replace:
          "      const id = ++localId;\n      await run(commands, (redis) => redis.xadd(streamKey, 'MAXLEN', '=', historyLimit, `${id}-0`, 'text', text, 'time', time));",
      },
      { file: 'broker.ts', find: '  let closed = false;\n', replace: '  let closed = false;\n  let localId = 0;\n' },
    ],
  },
  {
    id: 'incr-then-xadd',
    mistake: 'takes the id with INCR and adds the entry with XADD in a second command: another process can add a later id in between',
    caughtBy: 'append-is-atomic',
    edits: [
      {
        file: 'broker.ts',
        find: appendCall,
        replace:
          "      const id = await run(commands, (redis) => redis.incr(seqKey));\n      await run(commands, (redis) => redis.xadd(streamKey, 'MAXLEN', '=', historyLimit, `${id}-0`, 'text', text, 'time', time));",
      },
    ],
  },
  {
    id: 'added-locally-too',
    mistake: 'adds a posted message to its own window (and answers its own held polls) in POST, and then again when follow delivers it',
    caughtBy: 'ids-consecutive-across-processes',
    edits: [{ file: 'server.ts', find: postAppend, replace: `${postAppend}\n      onMessage(message);` }],
  },
  {
    id: 'xread-from-dollar',
    mistake: 'asks XREAD for new entries ("$") instead of the entries after the last id delivered, like a Pub/Sub subscription',
    caughtBy: 'follow-resumes-after-reconnect',
    edits: [{ file: 'broker.ts', find: xread, replace: xread.replace('`${last}-0`', () => "'$'") }],
  },
  {
    id: 'resubscribe-after-error',
    mistake: 'after a lost connection, goes on from the newest entry (as a re-subscribed Pub/Sub client would), skipping what was appended meanwhile',
    caughtBy: 'follow-resumes-after-reconnect',
    edits: [
      {
        file: 'broker.ts',
        find: xread,
        replace:
          "            if (fromNow) {\n              const top = await run(reader, (redis) => redis.xrevrange(streamKey, '+', '-', 'COUNT', 1));\n              last = top[0] ? Number.parseInt(top[0][0], 10) : last;\n              fromNow = false;\n            }\n" +
          xread,
      },
      { file: 'broker.ts', find: catchBlock, replace: `${catchBlock}\n            fromNow = true;` },
      { file: 'broker.ts', find: '      let failures = 0;\n', replace: '      let failures = 0;\n      let fromNow = false;\n' },
    ],
  },
  {
    id: 'created-before-append',
    mistake: 'answers 201 with the next id it expects before Redis has answered the append',
    caughtBy: 'created-after-append',
    edits: [
      {
        file: 'server.ts',
        find: postAppend,
        replace: '      const pending = broker.append((body as { text: string }).text);\n      sendJson(res, 201, { id: lastId + 1, text: (body as { text: string }).text, time: Date.now() });\n      message = await pending;',
      },
    ],
  },
  {
    id: 'offline-queue',
    mistake: "keeps ioredis's defaults (offline queue on, 20 retries per command): a post while Redis is down waits instead of failing",
    caughtBy: 'redis-down-503',
    edits: [{ file: 'broker.ts', find: '{ enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: backOff }', replace: '{ retryStrategy: backOff }' }],
  },
  {
    id: 'broker-down-500',
    mistake: 'lets BrokerDown reach the error handler: a post while Redis is down gets 500',
    caughtBy: 'redis-down-503',
    edits: [{ file: 'server.ts', find: '      if (!(error instanceof BrokerDown)) throw error;\n', replace: '      if (error instanceof BrokerDown) throw error;\n' }],
  },
  {
    id: 'no-retry-after',
    mistake: 'answers 503 without Retry-After',
    caughtBy: 'redis-down-503',
    edits: [{ file: 'server.ts', find: "      res.setHeader('retry-after', '1');\n", replace: '' }],
  },
  {
    id: 'greater-or-equal-held',
    mistake: 'answers a held poll with a message whose id equals its after (>= instead of >): the client gets a message it has',
    caughtBy: 'ahead-of-window-held',
    edits: [{ file: 'server.ts', find: heldCompare, replace: heldCompare.replace('>', '>=') }],
  },
  {
    id: 'greater-or-equal-catch-up',
    mistake: 'catches a client up with the messages from `after` on (>=), so it gets message `after` again',
    caughtBy: 'moved-client-resumes',
    edits: [{ file: 'server.ts', find: newer, replace: '    const newer = history.filter((m) => m.id >= after);' }],
  },
  {
    id: 'ahead-answered-empty',
    mistake: 'answers a poll that is ahead of this process at once with an empty list, instead of holding it',
    caughtBy: 'ahead-of-window-held',
    edits: [{ file: 'server.ts', find: newer, replace: `    if (after > lastId) return { status: 'messages', messages: [] };\n${newer}` }],
  },
  {
    id: 'ahead-answered-gap',
    mistake: 'tells a poll that is ahead of this process that the ids up to its after are lost (a gap)',
    caughtBy: 'ahead-of-window-held',
    edits: [{ file: 'server.ts', find: newer, replace: `    if (after > lastId) return { status: 'gap', from: lastId + 1, to: after };\n${newer}` }],
  },
  {
    id: 'no-reset-on-trim',
    mistake: 'delivers whatever XREAD returns, even when entries it never read were trimmed in between: the held polls silently skip them',
    caughtBy: 'trimmed-history-gap',
    edits: [{ file: 'broker.ts', find: resetCheck, replace: '            if (messages.length > 0 && messages[0]!.id !== last + 1 && false) {' }],
  },
  {
    id: 'reset-leaves-held-polls',
    mistake: 'replaces the window on a reset but leaves the held polls waiting for messages that are gone',
    caughtBy: 'trimmed-history-gap',
    edits: [{ file: 'server.ts', find: '      const missing = catchUp(poll.after);\n      if (missing) answer(poll, jsonBytes(missing));', replace: '      void poll;' }],
  },
  {
    id: 'no-maxlen',
    mistake: 'appends without MAXLEN: the stream grows for ever',
    caughtBy: 'trimmed-history-gap',
    edits: [{ file: 'broker.ts', find: "redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[3], id .. '-0'", replace: "redis.call('XADD', KEYS[2], id .. '-0'" }],
  },
  {
    id: 'window-not-trimmed',
    mistake: 'never drops the oldest message from the process window',
    caughtBy: 'trimmed-history-gap',
    edits: [{ file: 'server.ts', find: '    history.push(message);\n    if (history.length > historyLimit) history.shift();', replace: '    history.push(message);' }],
  },
  {
    id: 'errors-not-caught',
    mistake: 'lets a failed XREAD escape the follow loop: the process dies when Redis goes away',
    caughtBy: 'survives-connection-errors',
    edits: [{ file: 'broker.ts', find: catchBlock, replace: `          } catch (error) {\n            if (!closed) throw error;\n            if (closed) return;` }],
  },
  {
    id: 'xread-on-commands',
    mistake: 'runs the blocked XREAD on the commands connection: every append waits behind it (up to blockMs), and the service crawls',
    caughtBy: 'kill-9-soak',
    edits: [{ file: 'broker.ts', find: xread, replace: xread.replace('run(reader,', 'run(commands,') }],
  },
  {
    id: 'no-back-off',
    mistake: 'catches a failed XREAD and asks again at once (pause(0)): while Redis cannot serve, the loop spins, a core busy and Redis flooded',
    caughtBy: 'follow-backs-off',
    edits: [{ file: 'broker.ts', find: '            await pause(backOff(failures));', replace: '            await pause(0);' }],
  },
  {
    id: 'failures-never-reset',
    mistake: 'never sets the failure count back to 0 after a successful XREAD: after a few blips every failure waits maxRetryMs',
    caughtBy: 'back-off-resets',
    edits: [{ file: 'broker.ts', find: '            failures = 0;\n', replace: '' }],
  },
  {
    id: 'no-loss-check',
    mistake: 'reads on from its last id after Redis was away without checking that Redis still has it: after a restart without data, the ids start again at 1 and the process skips every one of them',
    caughtBy: 'redis-lost-data',
    edits: [{ file: 'broker.ts', find: '            if (failures > 0 && (await run(reader, (redis) => redis.eval(LOSS_SCRIPT, 2, seqKey, streamKey, last))) === 1) await reset();\n', replace: '' }],
  },
  {
    id: 'reset-empty-zeroes-lastid',
    mistake: 'sets lastId to the last id of the new window even when the window is empty (0): a client behind it is held instead of told of its gap',
    caughtBy: 'redis-lost-data',
    edits: [{ file: 'server.ts', find: '    lastId = Math.max(lastId, history.at(-1)?.id ?? 0);', replace: '    lastId = history.at(-1)?.id ?? 0;' }],
  },
  {
    id: 'follows-from-zero',
    mistake: 'loads the history, then follows from 0 instead of from the last id loaded: every kept message twice',
    caughtBy: 'new-process-loads-history',
    edits: [{ file: 'server.ts', find: followCall, replace: '  broker.follow(0, onMessage, onReset);' }],
  },
  {
    id: 'prefix-ignored',
    mistake: 'writes to the keys comet:seq and comet:messages whatever the prefix option',
    caughtBy: 'apps-share-only-redis',
    edits: [{ file: 'broker.ts', find: '  const seqKey = `${prefix}:seq`;\n  const streamKey = `${prefix}:messages`;', replace: "  const seqKey = 'comet:seq';\n  const streamKey = 'comet:messages';\n  void prefix;" }],
  },
  {
    id: 'shutdown-keeps-broker',
    mistake: 'shutdown() cancels the held polls but leaves the Redis connections open',
    caughtBy: 'shutdown-cancels-and-closes',
    edits: [{ file: 'server.ts', find: '      await broker.close();', replace: '' }],
  },
  {
    id: 'default-history-limit-ignored',
    mistake: 'caps the stream at a fixed 100 entries instead of historyLimit',
    caughtBy: 'defaults',
    edits: [{ file: 'broker.ts', find: appendCall, replace: appendCall.replace('text, time, historyLimit)', 'text, time, 100)') }],
  },
  {
    id: 'stats-without-process',
    mistake: 'leaves /stats as lesson 04 had it: no process name, no broker',
    caughtBy: 'defaults',
    edits: [{ file: 'server.ts', find: '{ waiting: waiting.size, process: name, broker: broker.kind } satisfies Stats', replace: '{ waiting: waiting.size }' }],
  },
  {
    id: 'close-waits-for-end',
    mistake: "closes a connection by waiting for ioredis's 'end', which never comes while it is between two attempts to reconnect: a shutdown while Redis is down never finishes",
    caughtBy: 'shutdown-while-redis-down',
    edits: [{ file: 'broker.ts', find: "      return status === 'end' || status === 'reconnecting' ? Promise.resolve() : ended;", replace: '      void status;\n      return ended;' }],
  },
];
