/**
 * Lesson 07's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import type { Mutant } from '../../shared/grading/types.ts';

export const mutants: readonly Mutant[] = [
  // ---- the relay: held poll and queue
  {
    id: 'poll-never-held',
    mistake: 'answers an empty poll at once with a timeout, as lesson 01 polled',
    caughtBy: 'poll-batch',
    edits: [{ file: 'server.ts', find: '    hold(agent, session, res, max);\n  }', replace: "    res.json({ status: 'timeout' });\n  }" }],
  },
  {
    id: 'batch-ignores-max',
    mistake: 'hands a poll everything queued, whatever max it asked for',
    caughtBy: 'poll-batch',
    edits: [{ file: 'server.ts', find: 'const taken = agent.queue.splice(0, max);', replace: 'const taken = agent.queue.splice(0);' }],
  },
  {
    id: 'counter-ids',
    mistake: 'numbers the queries 1, 2, 3 (padded to 22 characters) instead of random correlation ids',
    caughtBy: 'correlation-shuffled',
    edits: [{ file: 'server.ts', find: 'const item: WorkItem = { id: newCorrelationId(), ...request };', replace: "const item: WorkItem = { id: String(pendingById.size + finished.size + 1).padStart(22, '0'), ...request };" }],
  },
  {
    id: 'pending-limit-off-by-one',
    mistake: 'lets one query more than maxPending in (> instead of >=)',
    caughtBy: 'pending-limit-429',
    edits: [{ file: 'server.ts', find: 'agent.session.delivered.size >= maxPending', replace: 'agent.session.delivered.size > maxPending' }],
  },
  {
    id: 'no-deadline',
    mistake: 'waits a thousand times too long for the agent: the caller never sees its 504',
    caughtBy: 'caller-deadline-504',
    edits: [{ file: 'server.ts', find: '      }, deadlineMs),', replace: '      }, deadlineMs * 1000),' }],
  },
  {
    id: 'offline-count-runs-while-held',
    mistake: 'ends the older poll (which starts the offline count) and holds the newer one without stopping the count: the session ends under a held poll',
    caughtBy: 'newer-poll-ends-older',
    edits: [{ file: 'server.ts', find: "    clearTimeout(session.offlineTimer);\n    const held: HeldPoll", replace: '    const held: HeldPoll' }],
  },
  {
    id: 'offline-keeps-queue',
    mistake: 'tells the callers of queued queries "it did not run" (503) but leaves their queries in the queue, for the next session to run',
    caughtBy: 'offline-503-fast',
    edits: [{ file: 'server.ts', find: 'for (const pending of agent.queue.splice(0)) finish(', replace: 'for (const pending of [...agent.queue]) finish(' }],
  },
  {
    id: 'older-poll-left-open',
    mistake: 'keeps the older poll of a session open when a newer one comes',
    caughtBy: 'newer-poll-ends-older',
    edits: [{ file: 'server.ts', find: "    if (session.held) answerPoll(agent, session, { status: 'timeout' });\n", replace: '' }],
  },
  {
    id: 'abandoned-query-still-runs',
    mistake: 'leaves a query in the queue after its caller gave up, so the agent still runs it',
    caughtBy: 'deadline-forgets-queued',
    edits: [{ file: 'server.ts', find: '      pending.agent.queue.splice(pending.agent.queue.indexOf(pending), 1);\n', replace: '' }],
  },
  {
    id: 'keyed-late-answer-refused',
    mistake: 'forgets a keyed request at its caller\'s deadline, so the retry never gets the answer',
    caughtBy: 'deadline-keyed-kept',
    edits: [{ file: 'server.ts', find: '    } else if (!pending.keyed) {', replace: '    } else {' }],
  },
  {
    id: 'answers-kept-forever',
    mistake: 'never lets a kept answer expire',
    caughtBy: 'kept-answers-bounded',
    edits: [{ file: 'server.ts', find: 'if (keyed?.keptUntil !== undefined && keyed.keptUntil <= Date.now()) {', replace: 'if (false) {' }],
  },
  {
    id: 'replaced-poll-left-open',
    mistake: 'leaves the held poll of a replaced session open',
    caughtBy: 'replaced-session',
    edits: [{ file: 'server.ts', find: "      refuse(session.held.res, 401, why === 'replaced' ?", replace: "      void (why === 'replaced' ?" }],
  },
  {
    id: 'hold-twice-as-long',
    mistake: 'holds the agent\'s poll for twice holdMs',
    caughtBy: 'poll-timeout',
    edits: [{ file: 'server.ts', find: "setTimeout(() => answerPoll(agent, session, { status: 'timeout' }), holdMs) };", replace: "setTimeout(() => answerPoll(agent, session, { status: 'timeout' }), holdMs * 2) };" }],
  },
  {
    id: 'offline-503-without-retry-after',
    mistake: 'answers 503 for an offline agent without saying when to try again',
    caughtBy: 'offline-503-fast',
    edits: [{ file: 'server.ts', find: "      emit(agent, 'query-refused', { status: 503 });\n      res.set('Retry-After', '1');\n", replace: "      emit(agent, 'query-refused', { status: 503 });\n" }],
  },
  {
    id: 'offline-timer-doubled',
    mistake: 'waits twice offlineAfterMs before an agent with no poll counts as offline',
    caughtBy: 'offline-503-fast',
    edits: [{ file: 'server.ts', find: "endSession(agent, session, 'offline'), offlineAfterMs)", replace: "endSession(agent, session, 'offline'), offlineAfterMs * 2)" }],
  },
  // ---- the relay: sessions ending
  {
    id: 'queue-kept-when-offline',
    mistake: 'leaves the queued queries of an agent gone offline waiting until their deadline',
    caughtBy: 'offline-503-fast',
    edits: [
      {
        file: 'server.ts',
        find: "      for (const pending of agent.queue.splice(0)) finish(pending, { status: 503, body: { error: 'The agent went offline before it took the query; it did not run. Try again later.' } }, false);\n",
        replace: '',
      },
    ],
  },
  {
    id: 'delivered-left-waiting',
    mistake: 'forgets the queries delivered to a session that ended: their callers wait for the deadline',
    caughtBy: 'replaced-session',
    edits: [
      {
        file: 'server.ts',
        find: '    for (const pending of [...session.delivered]) finish(pending, { status: 502, body: { error: `${lost}; the query may or may not have run.` } });\n',
        replace: '',
      },
    ],
  },
  // ---- the relay: whose answer is whose
  {
    id: 'anyone-may-answer',
    mistake: 'accepts an answer from whichever agent sends the id',
    caughtBy: 'answers-checked',
    edits: [{ file: 'server.ts', find: 'if (owner.agent !== agent || owner.session !== session) return', replace: 'if (false) return' }],
  },
  {
    id: 'replay-accepted',
    mistake: 'takes a second answer for the same id without complaint',
    caughtBy: 'answers-checked',
    edits: [
      {
        file: 'server.ts',
        find: "      return answered ? { status: 409, error: `The request ${id} was already answered: an answer counts once.` } : { status: 410, error: `The caller of ${id} stopped waiting (its deadline passed, or it went away): the answer has nobody to go to.` };",
        replace: '      return undefined;',
      },
    ],
  },
  {
    id: 'late-answer-called-replay',
    mistake: 'calls every answer to a finished request a replay (409), also when its caller gave up',
    caughtBy: 'late-answer-410',
    edits: [{ file: 'server.ts', find: '      const answered = finished.get(id)?.answered;', replace: '      const answered = true;' }],
  },
  // ---- the relay: idempotency
  {
    id: 'retry-runs-again',
    mistake: 'queues a retry with the same Idempotency-Key a second time while the first still runs',
    caughtBy: 'idempotency-join',
    edits: [{ file: 'server.ts', find: '      if (keyed?.pending) return wait(keyed.pending, res);\n', replace: '' }],
  },
  {
    id: 'answer-not-kept',
    mistake: 'forgets the answer of a keyed request, so a later retry runs the write again',
    caughtBy: 'idempotency-one-row',
    edits: [{ file: 'server.ts', find: '      if (keyed?.answer) return void res.status(keyed.answer.status).json(keyed.answer.body);\n', replace: '' }],
  },
  {
    id: 'key-without-fingerprint',
    mistake: 'answers a reused Idempotency-Key with the kept answer even for another query',
    caughtBy: 'idempotency-join',
    edits: [{ file: 'server.ts', find: "      if (keyed && keyed.fingerprint !== fingerprint) return refuse(res, 422, 'This Idempotency-Key was used for another query or other params: use a new key for a new request.');\n", replace: '' }],
  },
  {
    id: 'waiters-unbounded',
    mistake: 'lets any number of retries wait on one request',
    caughtBy: 'waiters-bounded',
    edits: [{ file: 'server.ts', find: '    if (pending.waiters.size >= MAX_WAITERS_PER_QUERY) {', replace: '    if (pending.waiters.size >= MAX_WAITERS_PER_QUERY * 1000) {' }],
  },
  {
    id: 'answers-cacheable',
    mistake: 'forgets Cache-Control: no-store on the caller\'s answer, so a proxy may keep one caller\'s result for the next',
    caughtBy: 'round-trip',
    edits: [{ file: 'server.ts', find: "    noStore(res);\n    if (idempotencyKey !== undefined) {", replace: '    if (idempotencyKey !== undefined) {' }],
  },
  {
    id: 'failure-passed-on-as-500',
    mistake: 'passes the agent\'s 500 on to the caller as it is, as if the relay had failed',
    caughtBy: 'agent-refusal-and-failure',
    edits: [{ file: 'server.ts', find: '{ status: 502, body: { error: `The agent could not run the query: ${error}` } }', replace: '{ status: 500, body: { error } }' }],
  },
  {
    id: 'shutdown-forgets-delivered',
    mistake: 'answers only the queued callers at shutdown, and leaves those whose query the agent took waiting',
    caughtBy: 'shutdown-503',
    edits: [{ file: 'server.ts', find: 'const all = [...agent.queue, ...(session?.delivered ?? [])];', replace: 'const all = [...agent.queue];' }],
  },
  {
    id: 'shutdown-keeps-deadlines',
    mistake: 'answers the waiting callers at shutdown but leaves their deadline timers running',
    caughtBy: 'relay-close',
    edits: [{ file: 'server.ts', find: "          clearTimeout(waiter.deadline);\n          refuse(waiter.res, 503,", replace: "          refuse(waiter.res, 503," }],
  },
  // ---- the agent's database
  {
    id: 'inherited-names-run',
    mistake: 'looks the query name up with `in`, so toString and constructor count as queries',
    caughtBy: 'named-queries-only',
    edits: [{ file: 'database.ts', find: "!Object.hasOwn(QUERIES, query)", replace: '!(query in QUERIES)' }],
  },
  {
    id: 'fractions-accepted',
    mistake: 'checks that an id is a number, not that it is a whole one',
    caughtBy: 'params-validated',
    edits: [{ file: 'database.ts', find: "typeof value !== 'number' || !Number.isInteger(value) || value < min", replace: "typeof value !== 'number' || value < min" }],
  },
  {
    id: 'extra-params-ignored',
    mistake: 'ignores parameters the query does not take',
    caughtBy: 'params-validated',
    edits: [{ file: 'database.ts', find: '  if (extra.length > 0) throw', replace: '  if (extra.length < 0) throw' }],
  },
  {
    id: 'like-wildcards-unescaped',
    mistake: 'passes the search prefix to LIKE as it is, so % and _ act as wildcards',
    caughtBy: 'params-validated',
    edits: [{ file: 'database.ts', find: '    const pattern = `${prefix.replace(/[\\\\%_]/g, (c) => `\\\\${c}`)}%`;', replace: '    const pattern = `${prefix}%`;' }],
  },
  // ---- the agent
  {
    id: 'agent-opens-a-port',
    mistake: 'starts a small server in the agent "for health checks": something listens inside the firewall',
    caughtBy: 'agent-listens-on-nothing',
    edits: [
      {
        file: 'agent.ts',
        find: 'export function startAgent(options: AgentOptions): AgentHandle {',
        replace: "void import('node:net').then((net) => net.createServer().listen(0, '127.0.0.1').unref());\nexport function startAgent(options: AgentOptions): AgentHandle {",
      },
    ],
  },
  {
    id: 'answers-before-polling',
    mistake: 'answers the batch before it polls again, so the relay sees no poll while the agent works',
    caughtBy: 'agent-polls-again',
    edits: [{ file: 'agent.ts', find: '          void answerAll(database, work.requests);', replace: '          await answerAll(database, work.requests);' }],
  },
  {
    id: 'agent-ignores-batch',
    mistake: 'polls without max, so the relay decides how many queries one answer carries',
    caughtBy: 'agent-polls-again',
    edits: [{ file: 'agent.ts', find: "send('GET', `/work?max=${batch}`)", replace: "send('GET', '/work')" }],
  },
  {
    id: 'agent-pauses-after-stop',
    mistake: 'counts the aborted poll of stop() as an error, and pauses (a timer) before it notices it was stopped',
    caughtBy: 'agent-stops',
    edits: [{ file: 'agent.ts', find: '        if (stopped) break;\n', replace: '' }],
  },
  {
    id: 'backoff-flat',
    mistake: 'always pauses retryMs after an error, never longer',
    caughtBy: 'agent-backoff',
    edits: [{ file: 'agent.ts', find: 'const ms = Math.min(retryMs * 2 ** (failuresInARow - 1), maxRetryMs);', replace: 'const ms = Math.min(retryMs, maxRetryMs);' }],
  },
  {
    id: 'backoff-never-reset',
    mistake: 'keeps counting errors after the relay answered again',
    caughtBy: 'agent-backoff',
    edits: [{ file: 'agent.ts', find: '        failuresInARow = 0;\n', replace: '' }],
  },
  // ---- the caller
  {
    id: 'retry-new-key',
    mistake: 'makes a new Idempotency-Key for every attempt, so a retry is a new request',
    caughtBy: 'caller-library',
    edits: [
      { file: 'caller.ts', find: 'const key = queryOptions.idempotencyKey ?? (retries > 0 ? crypto.randomUUID() : undefined);', replace: 'const key = queryOptions.idempotencyKey;' },
      { file: 'caller.ts', find: 'return (await once(query, params, key, signal)) as T;', replace: 'return (await once(query, params, key ?? (retries > 0 ? crypto.randomUUID() : undefined), signal)) as T;' },
    ],
  },
  {
    id: 'caller-ignores-retry-after',
    mistake: 'retries a 429 after its own pause, not after the Retry-After the relay sent',
    caughtBy: 'caller-library',
    edits: [{ file: 'caller.ts', find: 'error.retryAfterMs ?? retryMs', replace: 'retryMs' }],
  },
  {
    id: 'retries-after-504',
    mistake: 'retries a 504 too, though the query may have run',
    caughtBy: 'caller-library',
    edits: [{ file: 'caller.ts', find: 'const RETRYABLE = new Set([0, 429, 503]);', replace: 'const RETRYABLE = new Set([0, 429, 503, 504]);' }],
  },
];
