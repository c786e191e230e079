/**
 * Lesson 03's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import type { Mutant } from '../../shared/grading/types.ts';

const backOff = '    return Math.min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs);';

export const mutants: readonly Mutant[] = [
  {
    id: 'no-timeout',
    mistake: 'holds a poll with no time limit',
    caughtBy: 'times-out',
    edits: [{ file: 'server.ts', find: "setTimeout(() => answer(poll, { status: 'timeout' }), holdMs)", replace: 'setTimeout(() => undefined, holdMs)' }],
  },
  {
    id: 'leaks-waiter',
    mistake: 'answers a poll but leaves it in the waiting list',
    caughtBy: 'message-answer',
    edits: [{ file: 'server.ts', find: '    waiting.delete(poll);\n', replace: '' }],
  },
  {
    id: 'write-after-answer',
    mistake: 'leaves the timer running after a message answered the poll, so it writes a second answer',
    caughtBy: 'no-write-after-answer',
    edits: [
      {
        file: 'server.ts',
        find: '    forget(poll);\n    if (!poll.res.writableEnded && !poll.res.destroyed) poll.res.json(body);',
        replace: '    waiting.delete(poll);\n    poll.res.json(body);',
      },
    ],
  },
  {
    id: 'no-close-cleanup',
    mistake: 'never notices that a client went away',
    caughtBy: 'forgets-gone-clients',
    edits: [{ file: 'server.ts', find: '      if (!res.writableFinished) forget(poll);', replace: '      void poll;' }],
  },
  {
    id: 'shutdown-noop',
    mistake: 'shutdown() leaves the held polls hanging',
    caughtBy: 'shutdown-cancels',
    edits: [{ file: 'server.ts', find: "      answerEveryPoll({ status: 'cancelled' });\n", replace: '' }],
  },
  {
    id: 'holds-after-shutdown',
    mistake: 'after shutdown(), new polls are still held',
    caughtBy: 'shutdown-cancels',
    edits: [{ file: 'server.ts', find: '    if (shuttingDown) {', replace: '    if (shuttingDown && false) {' }],
  },
  {
    id: 'no-cache-header',
    mistake: 'lets browsers and proxies cache poll answers',
    caughtBy: 'no-store',
    edits: [{ file: 'server.ts', find: "  res.set('Cache-Control', 'no-store');\n", replace: '' }],
  },
  {
    id: 'client-timeout-as-error',
    mistake: 'treats a timeout answer as an error',
    caughtBy: 'client-repolls-after-timeout',
    edits: [
      {
        file: 'client.ts',
        find: "    // 'timeout': nothing happened",
        replace: "    if (answer.status === 'timeout') throw new Error('the poll timed out');\n    // 'timeout': nothing happened",
      },
    ],
  },
  {
    id: 'client-constant-retry',
    mistake: 'waits the same short time after every failure, however many in a row',
    caughtBy: 'client-backs-off',
    edits: [{ file: 'client.ts', find: backOff, replace: '    return retryMs;' }],
  },
  {
    id: 'client-no-cap',
    mistake: 'doubles the pause without a cap',
    caughtBy: 'client-backs-off',
    edits: [{ file: 'client.ts', find: backOff, replace: '    return retryMs * 2 ** (failuresInARow - 1);' }],
  },
  {
    id: 'client-no-reset',
    mistake: 'never resets the failure count after a success',
    caughtBy: 'client-backs-off',
    edits: [{ file: 'client.ts', find: '        failuresInARow = 0; // a success ends the run of failures: the next pause is short again\n', replace: '' }],
  },
  {
    id: 'client-gives-up',
    mistake: 'gives up after the first error',
    caughtBy: 'client-backs-off',
    edits: [{ file: 'client.ts', find: '        await pause(backOff());', replace: '        return;' }],
  },
  {
    id: 'client-ignores-cancelled',
    mistake: 'keeps polling after the server said "cancelled"',
    caughtBy: 'client-stops-on-cancelled',
    edits: [{ file: 'client.ts', find: '      stopped = true;\n      onCancelled?.();', replace: '      onCancelled?.();' }],
  },
];
