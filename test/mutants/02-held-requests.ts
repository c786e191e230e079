/**
 * Lesson 02's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import { idTakenBeforeChecking, moveToModuleLevel } from '../../shared/grading/mutant-edits.ts';
import type { Mutant } from '../../shared/grading/types.ts';

const deliver = '        if (!stopped) onMessage(message);';

export const mutants: readonly Mutant[] = [
  {
    id: 'answers-at-once',
    mistake: 'answers GET /poll at once with whatever there is, like lesson 01',
    caughtBy: 'poll-is-held',
    edits: [{ file: 'server.ts', find: '    waiting.push(res);', replace: '    res.json({ message: messages.at(-1) ?? null });' }],
  },
  {
    id: 'first-waiter-only',
    mistake: 'answers only the first held poll',
    caughtBy: 'answers-every-poll',
    edits: [{ file: 'server.ts', find: 'for (const held of waiting.splice(0)) held.json(answer);', replace: 'waiting.shift()?.json(answer);' }],
  },
  {
    id: 'timer-recheck',
    mistake: 'checks for new messages on a timer instead of answering when one is posted',
    caughtBy: 'prompt-delivery',
    edits: [
      { file: 'server.ts', find: '    answerEveryWaitingPoll({ message });\n', replace: '' },
      {
        file: 'server.ts',
        find: '  const waiting: Response[] = [];\n',
        replace: `  const waiting: Response[] = [];
  let announced = 0;
  setInterval(() => {
    const latest = messages.at(-1);
    if (latest && latest.id > announced) {
      announced = latest.id;
      answerEveryWaitingPoll({ message: latest });
    }
  }, 1000).unref();
`,
      },
    ],
  },
  {
    id: 'keeps-answered',
    mistake: 'answers the held polls but never empties the list',
    caughtBy: 'forgets-answered',
    edits: [{ file: 'server.ts', find: 'waiting.splice(0)', replace: 'waiting' }],
  },
  {
    id: 'no-acknowledgement',
    mistake: 'answers the held polls but never the poster',
    caughtBy: 'poster-acknowledged',
    edits: [{ file: 'server.ts', find: '    res.status(201).json(message);\n', replace: '' }],
  },
  {
    id: 'replays-last',
    mistake: 'answers a new poll at once with the last message, which the client already has',
    caughtBy: 'waits-for-next',
    edits: [
      {
        file: 'server.ts',
        find: '    waiting.push(res);',
        replace: '    const latest = messages.at(-1);\n    if (latest) res.json({ message: latest });\n    else waiting.push(res);',
      },
    ],
  },
  {
    id: 'no-validation',
    mistake: 'stores and sends whatever body arrives',
    caughtBy: 'rejects-bad-input',
    edits: [{ file: 'server.ts', find: 'const problem = problemWithNewMessage(req.body);', replace: 'const problem: string | undefined = undefined;' }],
  },
  {
    id: 'shared-waiting-list',
    mistake: 'keeps the held polls at the top of the file, so every app made by createApp() shares them',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  const waiting: Response[] = [];\n'),
  },
  {
    id: 'shared-messages',
    mistake: 'keeps the messages at the top of the file, so a second app continues the first one\'s ids',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  const messages: Message[] = [];\n'),
  },
  {
    id: 'refused-post-uses-id',
    mistake: 'takes the next id before checking the body, so a refused post uses one up',
    caughtBy: 'rejects-bad-input',
    edits: idTakenBeforeChecking(),
  },
  {
    id: 'client-pauses-retry-after-success',
    mistake: 'waits retryMs after every answer, good or bad',
    caughtBy: 'client-repolls-at-once',
    edits: [{ file: 'client.ts', find: deliver, replace: `${deliver}\n        await pause(retryMs);` }],
  },
  {
    id: 'client-no-default-retry',
    mistake: 'leaves retryMs undefined when the option is not given, so a failing server is asked again at once',
    caughtBy: 'client-default-retry',
    edits: [{ file: 'client.ts', find: 'retryMs = 1000 }', replace: 'retryMs }' }],
  },
  {
    id: 'client-stop-leaves-pause',
    mistake: 'stop() does not end the pause after a failure: its timer outlives the client',
    caughtBy: 'client-stop-during-pause',
    edits: [{ file: 'client.ts', find: '      wakeUp?.();\n', replace: '' }],
  },
  {
    id: 'client-pauses',
    mistake: 'waits a second before asking again, as if it were still polling',
    caughtBy: 'client-repolls-at-once',
    edits: [{ file: 'client.ts', find: deliver, replace: `${deliver}\n        await pause(1000);` }],
  },
  {
    id: 'client-two-loops',
    mistake: 'asks again in two places, so the number of open polls grows',
    caughtBy: 'client-repolls-at-once',
    edits: [{ file: 'client.ts', find: deliver, replace: `${deliver}\n        void keepPolling();` }],
  },
  {
    id: 'client-double-delivery',
    mistake: 'delivers each answer twice',
    caughtBy: 'client-delivers-each-once',
    edits: [{ file: 'client.ts', find: deliver, replace: '        if (!stopped) onMessage(message);\n        if (!stopped) onMessage(message);' }],
  },
  {
    id: 'client-stop-without-abort',
    mistake: 'stop() sets a flag but leaves the held request open',
    caughtBy: 'client-stop-aborts',
    edits: [{ file: 'client.ts', find: '      inFlight?.abort();\n', replace: '' }],
  },
  {
    id: 'client-gives-up',
    mistake: 'stops polling after the first failed poll',
    caughtBy: 'client-retries-after-error',
    edits: [{ file: 'client.ts', find: '        await pause(retryMs);', replace: '        return;' }],
  },
  {
    id: 'client-hammers',
    mistake: 'asks again at once after a failure, hammering a server that is down',
    caughtBy: 'client-retries-after-error',
    edits: [{ file: 'client.ts', find: '        await pause(retryMs);\n', replace: '' }],
  },
  {
    id: 'client-ignores-status',
    mistake: 'treats a 500 answer as a message (fetch does not throw for it)',
    caughtBy: 'client-retries-after-error',
    edits: [{ file: 'client.ts', find: "    if (!response.ok) throw new Error(`GET /poll answered ${response.status}`);\n", replace: '' }],
  },
];
