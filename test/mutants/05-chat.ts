/**
 * Lesson 05's curated mutants: the reference solution with one typical learner mistake
 * each, and the grader test that must catch it (proved by test/meta/lessons.test.ts).
 */
import type { Mutant } from '../../shared/grading/types.ts';

export const mutants: readonly Mutant[] = [
  {
    id: 'broadcast',
    mistake: 'sends every private message to every held poll',
    caughtBy: 'private-delivery',
    edits: [
      {
        file: 'hub.ts',
        find: '    for (const userId of new Set([message.to, message.from])) this.#wake(userId);',
        replace: "    for (const polls of [...this.#polls.values()]) for (const poll of [...polls]) this.#answer(poll, { status: 'messages', messages: [message] });",
      },
    ],
  },
  {
    id: 'plain-passwords',
    mistake: 'stores passwords as they were typed',
    caughtBy: 'passwords-hashed',
    edits: [
      {
        file: 'passwords.ts',
        find: "  const salt = randomBytes(16);\n  const key = await scryptAsync(password, salt);\n  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;",
        replace: '  return password;',
      },
      { file: 'passwords.ts', find: "  const [scheme, salt, hash] = stored.split('$');", replace: "  if (password === stored) return true;\n  const [scheme, salt, hash] = stored.split('$');" },
    ],
  },
  {
    id: 'sql-concatenation',
    mistake: 'builds the INSERT by pasting the content into the SQL text',
    caughtBy: 'sql-literal',
    edits: [
      {
        file: 'store.ts',
        find: "    this.#run('INSERT INTO messages (from_id, to_id, content, time) VALUES (?, ?, ?, ?)', [from, to, content, time]);",
        replace: "    this.#db.exec(`INSERT INTO messages (from_id, to_id, content, time) VALUES (${from}, ${to}, '${content}', ${time})`);",
      },
    ],
  },
  {
    id: 'ack-before-durable',
    mistake: 'answers 201 before the message is on disk',
    caughtBy: 'durable-ack',
    edits: [
      {
        file: 'server.ts',
        find: '    await store.commit();\n    hub.deliver(message);\n    res.status(201).json(message);',
        replace: '    hub.deliver(message);\n    res.status(201).json(message);\n    await store.commit();',
      },
    ],
  },
  {
    id: 'trusts-body-sender',
    mistake: 'takes the sender from the body instead of the token',
    caughtBy: 'no-impersonation',
    edits: [{ file: 'server.ts', find: '    const message = store.addMessage(user.id, to, content);', replace: '    const message = store.addMessage(readId(req.body?.from) ?? user.id, to, content);' }],
  },
  {
    id: 'history-of-anyone',
    mistake: 'lets anyone read any conversation',
    caughtBy: 'no-impersonation',
    edits: [{ file: 'server.ts', find: "    if (!store.areFriends(user.id, friendId)) return void res.status(403).json({ error: 'You can only read conversations with your friends.' });\n", replace: '' }],
  },
  {
    id: 'offline-between-polls',
    mistake: 'marks a user offline as soon as their poll ends, so presence flickers with every message',
    caughtBy: 'presence-survives-repoll',
    edits: [{ file: 'hub.ts', find: '    this.#goingOffline.set(userId, setTimeout(() => this.#goOffline(userId), this.#options.graceMs));', replace: '    this.#goOffline(userId);' }],
  },
  {
    id: 'never-offline',
    mistake: 'never marks anyone offline',
    caughtBy: 'presence-online-offline',
    edits: [{ file: 'hub.ts', find: '    if (!this.#online.delete(userId)) return;', replace: '    if (this.#online.has(userId)) return;' }],
  },
  {
    id: 'logout-keeps-session',
    mistake: 'logout answers 204 but the token still works',
    caughtBy: 'register-login-logout',
    edits: [{ file: 'server.ts', find: '    store.deleteSession(token);\n', replace: '' }],
  },
  {
    id: 'offline-with-a-tab-open',
    mistake: 'starts going offline when any poll ends, although another tab still polls',
    caughtBy: 'presence-two-tabs',
    edits: [{ file: 'hub.ts', find: 'if (this.#closed || this.#pollsOf(userId).size > 0 || this.#goingOffline.has(userId)) return;', replace: 'if (this.#closed || this.#goingOffline.has(userId)) return;' }],
  },
  {
    id: 'logout-waits-for-grace',
    mistake: 'lets a logged-out user linger online for the grace time, as if they might poll again',
    caughtBy: 'logout-goes-offline',
    edits: [{ file: 'hub.ts', find: '    if (this.#pollsOf(userId).size === 0) this.#goOffline(userId);', replace: '' }],
  },
  {
    id: 'friends-one-way',
    mistake: 'stores a friendship in one direction only',
    caughtBy: 'friends-both-ways',
    edits: [
      {
        file: 'store.ts',
        find: "'INSERT OR IGNORE INTO relations (user_id, friend_id) VALUES (?, ?), (?, ?)', [userId, otherId, otherId, userId]",
        replace: "'INSERT OR IGNORE INTO relations (user_id, friend_id) VALUES (?, ?)', [userId, otherId]",
      },
    ],
  },
  {
    id: 'history-newest-first',
    mistake: 'returns a history page newest first',
    caughtBy: 'history-pages',
    edits: [{ file: 'store.ts', find: '    return newestFirst.reverse();', replace: '    return newestFirst;' }],
  },
  {
    id: 'forgets-on-restart',
    mistake: 'starts an empty database every time instead of loading the snapshot and replaying the journal',
    caughtBy: 'resume-after-restart',
    edits: [
      { file: 'snapshots.ts', find: '  let db = new SQL.Database(bytes);', replace: '  let db = new SQL.Database();' },
      { file: 'snapshots.ts', find: '  const all = await journalsOf(file);', replace: '  const all: number[] = [];' },
    ],
  },
  {
    id: 'friends-without-token',
    mistake: 'forgets requireUser on GET /friends',
    caughtBy: 'requires-token',
    edits: [{ file: 'server.ts', find: "  app.get('/friends', requireUser, (_req, res) => {", replace: "  app.get('/friends', (_req, res) => {" }],
  },
  {
    id: 'friends-without-consent',
    mistake: 'makes two users friends as soon as one of them asks',
    caughtBy: 'friend-consent',
    edits: [
      {
        file: 'server.ts',
        find: '    store.addRequest(user.id, other.id);\n    await store.commit();\n    hub.requested(user.id, other.id);\n    res.status(202).json({ request: other });',
        replace: '    await befriend(res, user.id, other);',
      },
    ],
  },
  {
    id: 'news-taken-by-one-tab',
    mistake: 'marks the news as read for every tab when one tab reads it',
    caughtBy: 'news-every-tab',
    edits: [{ file: 'hub.ts', find: '    cursors.set(session, this.#newsCount);', replace: '    for (const tab of cursors.keys()) cursors.set(tab, this.#newsCount);\n    cursors.set(session, this.#newsCount);' }],
  },
  {
    id: 'no-poll-cap',
    mistake: 'holds every poll it gets, however many one tab or one user opens',
    caughtBy: 'poll-limits',
    edits: [{ file: 'hub.ts', find: '    this.#makeRoom(userId, session);\n', replace: '' }],
  },
  {
    id: 'no-request-timeout',
    mistake: 'keeps waiting for a request body that never finishes (the server has no request time limit)',
    caughtBy: 'connection-limits',
    edits: [{ file: 'main.ts', find: '    requestTimeout,\n    headersTimeout: requestTimeout,\n', replace: '' }],
  },
  {
    id: 'no-connection-cap',
    mistake: 'accepts any number of connections from one address',
    caughtBy: 'connection-limits',
    edits: [{ file: 'main.ts', find: '    if (count > max) {\n', replace: '    if (count > max && max < 0) {\n' }],
  },
  {
    id: 'limit-after-hashing',
    mistake: 'checks the login limits only after hashing the password',
    caughtBy: 'login-rate-limit',
    edits: [
      { file: 'server.ts', find: '    if (refusedTooOften(req, res, key)) return;\n    const user = key ? store.userByKey(key) : undefined;', replace: '    const user = key ? store.userByKey(key) : undefined;' },
      {
        file: 'server.ts',
        find: "    const matches = typeof password === 'string' && (await verifyPassword(password, hash));\n",
        replace: "    const matches = typeof password === 'string' && (await verifyPassword(password, hash));\n    if (refusedTooOften(req, res, key)) return;\n",
      },
    ],
  },
  {
    id: 'no-failure-count',
    mistake: 'never counts wrong passwords, so a name can be guessed at for ever',
    caughtBy: 'login-rate-limit',
    edits: [{ file: 'server.ts', find: '      if (key) loginFailed(req, key);\n', replace: '' }],
  },
  {
    id: 'lockout-by-name',
    mistake: 'counts wrong passwords against the name alone, so anyone can lock the real user out',
    caughtBy: 'login-rate-limit',
    edits: [{ file: 'server.ts', find: '    if (nameKey) waits.push(failuresFromAddress.retryAfter(`${address} ${nameKey}`), failuresFromAnywhere.retryAfter(nameKey));', replace: '    if (nameKey) waits.push(failuresFromAnywhere.retryAfter(nameKey), failuresFromAddress.retryAfter(nameKey));' }, { file: 'server.ts', find: '    failuresFromAddress.count(`${addressOf(req)} ${nameKey}`);', replace: '    failuresFromAddress.count(nameKey);' }],
  },
  {
    id: 'friend-requests-unlimited',
    mistake: 'lets one user send any number of friend requests (and so probe every name)',
    caughtBy: 'friend-consent',
    edits: [{ file: 'server.ts', find: '    if (tooManyFriendRequests(res, user.id)) return;\n', replace: '' }],
  },
  {
    id: 'idle-connections-not-counted',
    mistake: 'refuses a connection past the limit only when it sends a request',
    caughtBy: 'connection-limits',
    edits: [{ file: 'main.ts', find: '      socket.end(refusal);\n      socket.destroySoon();\n      return;', replace: "      socket.once('data', () => {\n        socket.end(refusal);\n        socket.destroySoon();\n      });\n      return;" }],
  },
  {
    id: 'no-dummy-hash',
    mistake: 'answers an unknown name at once, without hashing',
    caughtBy: 'login-same-cost',
    edits: [
      {
        file: 'server.ts',
        find: "    const hash = (user && store.passwordHashOf(user.id)) ?? (await dummyHash());\n    const matches = typeof password === 'string' && (await verifyPassword(password, hash));",
        replace: "    const hash = user && store.passwordHashOf(user.id);\n    const matches = typeof password === 'string' && hash !== undefined && (await verifyPassword(password, hash));\n    void dummyHash;",
      },
    ],
  },
  {
    id: 'unique-by-text',
    mistake: 'checks that the name is free by its text only, not by what it looks like',
    caughtBy: 'names-lookalike',
    edits: [
      { file: 'store.ts', find: "    if (this.#one('SELECT 1 AS taken FROM users WHERE name_key = ?', [key])) return undefined;", replace: "    if (this.#one('SELECT 1 AS taken FROM users WHERE name = ?', [name])) return undefined;" },
      { file: 'store.ts', find: '[name, key, passwordHash, Date.now()]);\n    return this.userByKey(key);', replace: '[name, name, passwordHash, Date.now()]);\n    return this.userByKey(name);' },
    ],
  },
  {
    id: 'password-length-in-units',
    mistake: 'checks the password length itself, in UTF-16 units, and accepts the commonest passwords',
    caughtBy: 'password-policy',
    edits: [
      {
        file: 'server.ts',
        find: '    const problem = passwordProblem(req.body?.password);',
        replace: "    const problem = typeof req.body?.password === 'string' && req.body.password.length >= 8 ? undefined : 'password too short';\n    void passwordProblem;",
      },
    ],
  },
  {
    id: 'sessions-never-idle',
    mistake: 'lets a session live for ever as long as it is younger than the maximum age',
    caughtBy: 'session-expiry',
    edits: [{ file: 'store.ts', find: '    if (now - row.last_seen > limits.idleMs || now - row.created > limits.maxMs) {', replace: '    if (now - row.created > limits.maxMs) {' }],
  },
  {
    id: 'logout-everywhere-keeps-polls',
    mistake: 'deletes the sessions on "log out everywhere" but leaves their held polls open',
    caughtBy: 'session-expiry',
    edits: [{ file: 'server.ts', find: '    hub.logoutEverywhere(user.id);\n', replace: '' }],
  },
  {
    id: 'shows-before-durable',
    mistake: 'lets readers see a message while it is still being written',
    caughtBy: 'visible-only-durable',
    edits: [
      { file: 'store.ts', find: 'AND id > ? AND id <= ? ORDER BY id LIMIT ?`,\n      [userId, userId, after, this.#durableId, limit],', replace: 'AND id > ? ORDER BY id LIMIT ?`,\n      [userId, userId, after, limit],' },
      { file: 'store.ts', find: 'AND id < ? AND id <= ?\n        ORDER BY id DESC LIMIT ?`,\n      [userId, friendId, friendId, userId, before, this.#durableId, limit],', replace: 'AND id < ?\n        ORDER BY id DESC LIMIT ?`,\n      [userId, friendId, friendId, userId, before, limit],' },
    ],
  },
  {
    id: 'ack-failed-write',
    mistake: 'answers 201 even when the write to disk failed',
    caughtBy: 'failed-write-no-trace',
    edits: [{ file: 'server.ts', find: '    await store.commit();\n    hub.deliver(message);\n    res.status(201).json(message);', replace: '    await store.commit().catch(() => undefined);\n    hub.deliver(message);\n    res.status(201).json(message);' }],
  },
  {
    id: 'no-rollback',
    mistake: 'keeps a change in memory after its write failed',
    caughtBy: 'failed-write-no-trace',
    edits: [{ file: 'database.ts', find: '      rolledBack: () => this.#reload(),', replace: '      rolledBack: async () => undefined,' }],
  },
  {
    id: 'plain-tokens',
    mistake: 'stores session tokens as they are given out',
    caughtBy: 'passwords-hashed',
    edits: [
      { file: 'store.ts', find: '[hashToken(token), userId, now, now]', replace: '[token, userId, now, now]' },
      { file: 'store.ts', find: '  userForToken(token: string, limits: SessionLimits, now = Date.now()): User | undefined {\n    const tokenHash = hashToken(token);', replace: '  userForToken(token: string, limits: SessionLimits, now = Date.now()): User | undefined {\n    const tokenHash = token;' },
    ],
  },
  {
    id: 'fixed-salt',
    mistake: 'uses the same salt for every password',
    caughtBy: 'passwords-hashed',
    edits: [{ file: 'passwords.ts', find: '  const salt = randomBytes(16);', replace: '  const salt = Buffer.alloc(16, 7);' }],
  },
  {
    id: 'grace-skipped-on-instant-answer',
    mistake: 'starts the going-offline timer only when a held poll ends, not when a poll is answered at once',
    caughtBy: 'offline-after-one-poll',
    edits: [{ file: 'hub.ts', find: '      res.json(news);\n      this.#maybeLeaving(userId);\n      return;', replace: '      res.json(news);\n      return;' }],
  },
];
