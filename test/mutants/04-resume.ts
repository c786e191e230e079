/**
 * Lesson 04's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import { moveToModuleLevel } from '../../shared/grading/mutant-edits.ts';
import type { Mutant } from '../../shared/grading/types.ts';

const newer = '    const newer = history.slice(after - oldestKept + 1);';
const batch = "    return newer.length > 0 ? { status: 'messages', messages: newer } : undefined;";

export const mutants: readonly Mutant[] = [
  {
    id: 'greater-or-equal',
    mistake: 'compares ids with >= instead of >, so the client gets message `after` again',
    caughtBy: 'after-is-exclusive',
    edits: [{ file: 'server.ts', find: newer, replace: '    const newer = history.filter((m) => m.id >= after);' }],
  },
  {
    id: 'only-newest',
    mistake: 'answers a client that is behind with only the newest message',
    caughtBy: 'answers-newer-at-once',
    edits: [{ file: 'server.ts', find: batch, replace: "    return newer.length > 0 ? { status: 'messages', messages: newer.slice(-1) } : undefined;" }],
  },
  {
    id: 'one-per-answer',
    mistake: 'sends the missed messages one per answer instead of in one batch',
    caughtBy: 'answers-newer-at-once',
    edits: [{ file: 'server.ts', find: batch, replace: "    return newer.length > 0 ? { status: 'messages', messages: newer.slice(0, 1) } : undefined;" }],
  },
  {
    id: 'always-holds',
    mistake: 'ignores `after` and holds every poll, as in lesson 02, losing what was posted between polls',
    caughtBy: 'answers-newer-at-once',
    edits: [{ file: 'server.ts', find: '    if (answer) sendJson(res, 200, answer);\n    else hold(res, after);', replace: '    void answer;\n    hold(res, after);' }],
  },
  {
    id: 'first-held-only',
    mistake: 'answers only the first held poll after a post',
    caughtBy: 'holds-then-answers',
    edits: [{ file: 'server.ts', find: '      if (message.id > poll.after) answer(poll, bytes);', replace: '      if (message.id > poll.after) {\n        answer(poll, bytes);\n        break;\n      }' }],
  },
  {
    id: 'wakes-every-poll',
    mistake: 'sends the new message to every held poll, also to one that is ahead of the server',
    caughtBy: 'holds-then-answers',
    edits: [{ file: 'server.ts', find: '      if (message.id > poll.after) answer(poll, bytes);', replace: '      answer(poll, bytes);' }],
  },
  {
    id: 'lax-after',
    mistake: 'reads `after` with Number() and treats anything odd as 0',
    caughtBy: 'rejects-bad-after',
    edits: [
      {
        file: 'server.ts',
        find: "  if (typeof raw !== 'string' || !/^\\d{1,15}$/.test(raw)) return undefined;\n  return Number(raw);",
        replace: '  return Math.max(0, Math.floor(Number(raw) || 0));',
      },
    ],
  },
  {
    id: 'unbounded-history',
    mistake: 'keeps every message forever',
    caughtBy: 'gap-when-too-far-behind',
    edits: [{ file: 'server.ts', find: '    if (history.length > historyLimit) history.shift();\n', replace: '' }],
  },
  {
    id: 'silent-gap',
    mistake: 'sends what it still has to a client that is too far behind, without saying anything is missing',
    caughtBy: 'gap-when-too-far-behind',
    edits: [
      {
        file: 'server.ts',
        find: "    if (after < oldestKept - 1) return { status: 'gap', from: after + 1, to: oldestKept - 1 };",
        replace: "    if (after < oldestKept - 1) return { status: 'messages', messages: [...history] };",
      },
    ],
  },
  {
    id: 'ids-restart',
    mistake: 'starts ids from 1 again after a restart with initialMessages',
    caughtBy: 'initial-messages',
    edits: [{ file: 'server.ts', find: '  let lastId = initialMessages.at(-1)?.id ?? 0;', replace: '  let lastId = 0;' }],
  },
  {
    id: 'ids-from-count',
    mistake: 'continues the ids from the number of initial messages instead of the last id',
    caughtBy: 'initial-messages',
    edits: [{ file: 'server.ts', find: '  let lastId = initialMessages.at(-1)?.id ?? 0;', replace: '  let lastId = initialMessages.length;' }],
  },
  {
    id: 'no-default-history',
    mistake: 'gives historyLimit no default, so without it nothing is ever dropped',
    caughtBy: 'default-history',
    edits: [{ file: 'server.ts', find: 'historyLimit = DEFAULT_HISTORY_LIMIT,', replace: 'historyLimit,' }],
  },
  {
    id: 'no-default-hold',
    mistake: 'gives holdMs no default, so createApp() without it times every poll out at once',
    caughtBy: 'default-history',
    edits: [{ file: 'server.ts', find: 'const { holdMs = DEFAULT_HOLD_MS,', replace: 'const { holdMs,' }],
  },
  {
    id: 'caps-catch-up',
    mistake: 'answers a catch-up with at most 100 messages',
    caughtBy: 'catch-up-everything',
    edits: [{ file: 'server.ts', find: newer, replace: '    const newer = history.slice(after - oldestKept + 1, after - oldestKept + 101);' }],
  },
  {
    id: 'refused-post-uses-id',
    mistake: 'takes the next id before checking the body, so a refused post uses one up',
    caughtBy: 'rejects-bad-input',
    edits: [
      { file: 'server.ts', find: '    const problem = problemWithNewMessage(body);\n', replace: '    const id = ++lastId;\n    const problem = problemWithNewMessage(body);\n' },
      { file: 'server.ts', find: '{ id: ++lastId,', replace: '{ id,' },
    ],
  },
  {
    id: 'shared-waiting-list',
    mistake: 'keeps the held polls at the top of the file, so every app made by createApp() shares them',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  const waiting = new Set<HeldPoll>();\n', 'export function createApp('),
  },
  {
    id: 'answers-without-forgetting',
    mistake: 'answers the held polls after a post without forgetting them (sendJson instead of answer)',
    caughtBy: 'holds-then-answers',
    edits: [{ file: 'server.ts', find: '      if (message.id > poll.after) answer(poll, bytes);', replace: '      if (message.id > poll.after) sendJson(poll.res, 200, bytes);' }],
  },
  {
    id: 'sixteen-digits',
    mistake: 'accepts 16 digits in after, more than a number holds exactly in general',
    caughtBy: 'rejects-bad-after',
    edits: [{ file: 'server.ts', find: '/^\\d{1,15}$/', replace: '/^\\d{1,16}$/' }],
  },
  {
    id: 'client-stale-id',
    mistake: 'never updates lastMessageId, so every poll asks from the start',
    caughtBy: 'client-sends-last-id',
    edits: [{ file: 'client.ts', find: '        lastMessageId = message.id;\n', replace: '' }],
  },
  {
    id: 'client-no-dedupe',
    mistake: 'delivers every message of every answer, even ones it has',
    caughtBy: 'client-delivers-once',
    edits: [{ file: 'client.ts', find: '      if (message.id > lastMessageId) {', replace: '      if (message.id > 0) {' }],
  },
  {
    id: 'client-restarts-on-error',
    mistake: 'starts again from the beginning after an error',
    caughtBy: 'client-keeps-place-on-error',
    edits: [{ file: 'client.ts', find: '        failuresInARow++;', replace: '        failuresInARow++;\n        lastMessageId = options.lastMessageId ?? 0;' }],
  },
  {
    id: 'client-ignores-gap',
    mistake: 'reports a gap but keeps asking from before it',
    caughtBy: 'client-gap',
    edits: [{ file: 'client.ts', find: '      lastMessageId = Math.max(lastMessageId, answer.to);\n', replace: '' }],
  },
];
