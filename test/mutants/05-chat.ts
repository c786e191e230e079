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
    mistake: 'starts an empty database every time instead of loading the file',
    caughtBy: 'resume-after-restart',
    edits: [{ file: 'store.ts', find: 'const db = file && existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();', replace: 'const db = new SQL.Database();' }],
  },
  {
    id: 'friends-without-token',
    mistake: 'forgets requireUser on GET /friends',
    caughtBy: 'requires-token',
    edits: [{ file: 'server.ts', find: "  app.get('/friends', requireUser, (_req, res) => {", replace: "  app.get('/friends', (_req, res) => {" }],
  },
];
