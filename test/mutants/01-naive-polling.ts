/**
 * Lesson 01's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import { idTakenBeforeChecking, moveToModuleLevel } from '../../shared/grading/mutant-edits.ts';
import type { Mutant } from '../../shared/grading/types.ts';

export const mutants: readonly Mutant[] = [
  {
    id: 'no-validation',
    mistake: 'stores whatever body arrives, without checking it',
    caughtBy: 'rejects-bad-input',
    edits: [{ file: 'server.ts', find: 'const problem = problemWithNewMessage(req.body);', replace: 'const problem: string | undefined = undefined;' }],
  },
  {
    id: 'answers-200',
    mistake: 'answers a created message with 200 instead of 201',
    caughtBy: 'post-stores',
    edits: [{ file: 'server.ts', find: 'res.status(201).json(message);', replace: 'res.json(message);' }],
  },
  {
    id: 'only-latest',
    mistake: 'GET /messages answers only the newest message',
    caughtBy: 'get-lists-all',
    edits: [{ file: 'server.ts', find: 'res.json({ messages });', replace: 'res.json({ messages: messages.slice(-1) });' }],
  },
  {
    id: 'module-level-state',
    mistake: 'keeps the messages at the top of the file, so every app shares them',
    caughtBy: 'apps-are-separate',
    edits: moveToModuleLevel('server.ts', '  const messages: Message[] = [];\n'),
  },
  {
    id: 'refused-post-uses-id',
    mistake: 'takes the next id from a counter before checking the body, so a refused post uses one up',
    caughtBy: 'rejects-bad-input',
    edits: idTakenBeforeChecking(),
  },
  {
    id: 'trims-before-limit',
    mistake: 'measures the text after trimming it, so spaces do not count towards the 500 characters',
    caughtBy: 'rejects-bad-input',
    edits: [{ file: 'server.ts', find: 'if (text.length > MAX_TEXT_LENGTH)', replace: 'if (text.trim().length > MAX_TEXT_LENGTH)' }],
  },
  {
    id: 'client-waits-first',
    mistake: 'waits intervalMs before the first request too',
    caughtBy: 'client-first-at-once',
    edits: [{ file: 'client.ts', find: '  void pollOnce();', replace: '  timer = setTimeout(pollOnce, intervalMs);' }],
  },
  {
    id: 'client-stop-leaves-timer',
    mistake: 'stop() sets a flag that the next poll checks, but leaves its timer pending',
    caughtBy: 'client-stops',
    edits: [
      { file: 'client.ts', find: '      clearTimeout(timer);\n', replace: '' },
      { file: 'client.ts', find: '    inFlight = new AbortController();', replace: '    if (stopped) return;\n    inFlight = new AbortController();' },
    ],
  },
  {
    id: 'client-tight-loop',
    mistake: 'asks again at once instead of waiting intervalMs',
    caughtBy: 'client-paces',
    edits: [{ file: 'client.ts', find: 'timer = setTimeout(pollOnce, intervalMs);', replace: 'timer = setTimeout(pollOnce, 0);' }],
  },
  {
    id: 'client-set-interval',
    mistake: 'polls on a fixed clock with setInterval, so a slow answer overlaps the next poll',
    caughtBy: 'client-no-overlap',
    edits: [
      { file: 'client.ts', find: '    if (!stopped) timer = setTimeout(pollOnce, intervalMs);\n', replace: '' },
      { file: 'client.ts', find: '  void pollOnce();', replace: '  void pollOnce();\n  timer = setInterval(pollOnce, intervalMs);' },
    ],
  },
  {
    id: 'client-redelivers',
    mistake: 'delivers every message of every answer, so repeated messages arrive again',
    caughtBy: 'client-delivers-once',
    edits: [{ file: 'client.ts', find: 'if (message.id > lastDeliveredId) {', replace: 'if (message.id > 0) {' }],
  },
  {
    id: 'client-stop-flag-only',
    mistake: 'stop() sets a flag but leaves the timer running, and the next poll still goes out',
    caughtBy: 'client-stops',
    edits: [{ file: 'client.ts', find: '      clearTimeout(timer);\n      inFlight?.abort();\n', replace: '' }],
  },
  {
    id: 'client-delivers-after-stop',
    mistake: 'stop() clears the timer but an answer already on its way is still delivered',
    caughtBy: 'client-stops',
    edits: [
      { file: 'client.ts', find: '      inFlight?.abort();\n', replace: '' },
      { file: 'client.ts', find: '        if (stopped) return;\n', replace: '' },
    ],
  },
  {
    id: 'client-delivers-rest-after-stop',
    mistake: 'stop() called from onMessage still lets the rest of that answer be delivered',
    caughtBy: 'client-stops',
    edits: [{ file: 'client.ts', find: '        if (stopped) return;\n', replace: '' }],
  },
  {
    id: 'client-dies-on-error',
    mistake: 'no try/catch around the request: the first failure ends polling',
    caughtBy: 'client-survives-failure',
    edits: [
      { file: 'client.ts', find: '    try {\n', replace: '    {\n' },
      { file: 'client.ts', find: '    } catch (error) {\n      if (!stopped) onError?.(error);\n    }\n', replace: '    }\n' },
    ],
  },
];
