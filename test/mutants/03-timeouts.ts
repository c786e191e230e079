/**
 * Lesson 03's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import { idTakenBeforeChecking, moveToModuleLevel } from '../../shared/grading/mutant-edits.ts';
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
    id: 'no-default-hold',
    mistake: 'gives holdMs no default, so createApp() times every poll out at once',
    caughtBy: 'default-hold',
    edits: [{ file: 'server.ts', find: 'createApp({ holdMs = DEFAULT_HOLD_MS }: AppOptions = {})', replace: 'createApp({ holdMs }: AppOptions = {})' }],
  },
  {
    id: 'forget-keeps-timer',
    mistake: 'forget() removes the poll from the list but leaves its timer running',
    caughtBy: 'message-answer',
    edits: [{ file: 'server.ts', find: '    clearTimeout(poll.timer);\n', replace: '' }],
  },
  {
    id: 'cancelled-late-with-503',
    mistake: 'answers polls that arrive after shutdown() with 503 instead of 200 { status: "cancelled" }',
    caughtBy: 'shutdown-cancels',
    edits: [{ file: 'server.ts', find: "      res.json({ status: 'cancelled' } satisfies PollAnswer);", replace: "      res.status(503).json({ status: 'cancelled' } satisfies PollAnswer);" }],
  },
  {
    id: 'refused-post-uses-id',
    mistake: 'takes the next id before checking the body, so a refused post uses one up',
    caughtBy: 'rejects-bad-input',
    edits: idTakenBeforeChecking(),
  },
  {
    id: 'shared-waiting-list',
    mistake: 'keeps the held polls at the top of the file, so every app made by createApp() shares them',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  const waiting = new Set<HeldPoll>();\n'),
  },
  {
    id: 'shared-shutdown-flag',
    mistake: 'keeps the shuttingDown flag at the top of the file, so shutting one app down cancels the polls of every app',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  let shuttingDown = false;\n'),
  },
  {
    id: 'client-pauses-after-timeout',
    mistake: 'pauses retryMs after a timeout answer, as if it were a failure',
    caughtBy: 'client-repolls-after-timeout',
    edits: [{ file: 'client.ts', find: '        if (!stopped) handle(answer);', replace: "        if (!stopped) handle(answer);\n        if (answer.status === 'timeout') await pause(retryMs);" }],
  },
  {
    id: 'client-backoff-off-by-one',
    mistake: 'doubles from the first failure on: 2×, 4×, … retryMs instead of retryMs, 2×, …',
    caughtBy: 'client-backs-off',
    edits: [{ file: 'client.ts', find: backOff, replace: '    return Math.min(retryMs * 2 ** failuresInARow, maxRetryMs);' }],
  },
  {
    id: 'client-reset-on-message-only',
    mistake: 'resets the failure count only on a message, not on a timeout answer',
    caughtBy: 'client-backs-off',
    edits: [
      { file: 'client.ts', find: '        failuresInARow = 0; // a success ends the run of failures: the next pause is short again\n', replace: '' },
      { file: 'client.ts', find: "    if (answer.status === 'message') onMessage(answer.message);", replace: "    if (answer.status === 'message') {\n      failuresInARow = 0;\n      onMessage(answer.message);\n    }" },
    ],
  },
  {
    id: 'client-no-default-cap',
    mistake: 'gives maxRetryMs no default, so without it every pause is NaN: no pause at all',
    caughtBy: 'client-default-backoff',
    edits: [{ file: 'client.ts', find: 'maxRetryMs = 30_000 }', replace: 'maxRetryMs }' }],
  },
  {
    id: 'client-stop-leaves-pause',
    mistake: 'stop() does not end the pause after a failure: its timer outlives the client',
    caughtBy: 'client-stop-anytime',
    edits: [{ file: 'client.ts', find: '      wakeUp?.();\n', replace: '' }],
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
