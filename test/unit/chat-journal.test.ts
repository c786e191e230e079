/**
 * The chat's journal and snapshots (lessons/05-chat/journal.ts, snapshots.ts, database.ts:
 * given code, the same files in solutions/): what a crash at any moment leaves behind loads,
 * with every acknowledged message and nothing that was not.
 *
 * - a journal cut at every byte offset inside its last record, or with any one byte of that
 *   record flipped: the store starts, keeps every acknowledged message, loses only the last
 *   one (whose sync had not returned), cuts the tail off, and what is written next survives;
 * - the files a kill leaves at each step of a snapshot (built from real runs), and a real
 *   `kill -9` of the chat process while it makes snapshots one after the other;
 * - a write the disk refuses: undone in memory and cut off the file;
 * - journals in numeric order, a missing journal, damage before the last journal, files of
 *   the old whole-file format and of another version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../shared/paths.ts';
import { failingDisk } from '../../shared/grading/failing-disk.ts';
import { decodeRecords, encodeChanges, encodeRecord, type Change } from '../../solutions/05-chat/journal.ts';
import { journalPath } from '../../solutions/05-chat/snapshots.ts';
import { ChatStore } from '../../solutions/05-chat/store.ts';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'chat-journal-'));
  folders.push(folder);
  return folder;
}

/** Opens the store in `folder`, quietly (a cut-off tail is reported on the console, on purpose). */
async function openStore(folder: string, options: Parameters<typeof ChatStore.open>[0] = {}): Promise<ChatStore> {
  return ChatStore.open({ file: path.join(folder, 'chat.sqlite'), ...options });
}

/** ann and ben, and `count` messages from ann to ben, each committed (acknowledged) on its own. */
async function annAndBenWrite(store: ChatStore, count: number, from = 0): Promise<{ ann: number; ben: number }> {
  const ann = store.userByKey('ann')?.id ?? store.createUser('ann', 'ann', 'scrypt$x$y')!.id;
  const ben = store.userByKey('ben')?.id ?? store.createUser('ben', 'ben', 'scrypt$x$y')!.id;
  await store.commit();
  for (let n = from; n < from + count; n++) {
    store.addMessage(ann, ben, `message ${n}`);
    await store.commit();
  }
  return { ann, ben };
}

function contentsOf(store: ChatStore): string[] {
  const ben = store.userByKey('ben')!.id;
  return store.messagesFor(ben, 0, 100_000).map((m) => m.content);
}

const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, n) => `message ${from + n}`);

async function filesOf(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort();
}

describe('journal records', () => {
  const changes: Change[] = [
    ['INSERT INTO t VALUES (?, ?)', [1, 'one']],
    ['UPDATE t SET v = ? WHERE k = ?', ['漠然 with "quotes" and \n newlines', 2]],
    ['DELETE FROM t WHERE k = ?', [null]],
  ];
  const bytes = encodeChanges(changes);
  // where each change's record ends (a statement's text comes in a record before its first change)
  const ends = changes.map((_, n) => encodeChanges(changes.slice(0, n + 1)).length);

  it('decode what was encoded, and say where the last good record ends', () => {
    expect(decodeRecords(bytes)).toEqual({ changes, length: bytes.length });
  });

  it('stop before a record that is cut short, at every byte offset', () => {
    for (let cut = 0; cut < bytes.length; cut++) {
      const whole = ends.filter((end) => end <= cut);
      const decoded = decodeRecords(bytes.subarray(0, cut));
      expect(decoded.changes, `cut at ${cut}`).toEqual(changes.slice(0, whole.length));
      // the good part ends after the last whole change, or after a statement's text that came whole before the cut
      expect(decoded.length, `cut at ${cut}`).toBeGreaterThanOrEqual(whole.at(-1) ?? 0);
      expect(decoded.length, `cut at ${cut}`).toBeLessThanOrEqual(cut);
    }
  });

  it('stop at a record with any one byte changed (CRC-32), and keep the records before it', () => {
    for (let at = 0; at < bytes.length; at++) {
      const damaged = Buffer.from(bytes);
      damaged[at] = damaged[at]! ^ 0x5a;
      const record = ends.findIndex((end) => at < end);
      expect(decodeRecords(damaged).changes, `byte ${at} flipped`).toEqual(changes.slice(0, record));
    }
  });

  it("write each statement's text once per file, and read a text named again (a new writer, or after a failed write) as the newest", () => {
    const same: Change[] = [0, 1, 2].map((n) => ['INSERT INTO t VALUES (?)', [n]]);
    const once = encodeChanges(same);
    expect(once.toString().split('INSERT INTO t').length - 1, 'the text written once').toBe(1);
    const renamed = Buffer.concat([encodeChanges([['UPDATE a SET x = ?', [1]]]), encodeChanges([['DELETE FROM b WHERE y = ?', [2]]])]);
    expect(decodeRecords(renamed).changes, 'number 0 named twice: each change reads the text before it').toEqual([
      ['UPDATE a SET x = ?', [1]],
      ['DELETE FROM b WHERE y = ?', [2]],
    ]);
    expect(decodeRecords(encodeRecord([0, [1]])).changes, 'a change whose text is missing is damage').toEqual([]);
  });
});

describe('a torn or damaged last record', () => {
  it('is cut off at start: every acknowledged message is kept, only the last (unacknowledged) one is lost, and later writes survive', async () => {
    const original = await scratch();
    const store = await openStore(original);
    await annAndBenWrite(store, 5);
    await store.close();
    const journal = journalPath(path.join(original, 'chat.sqlite'), 0);
    const bytes = await readFile(journal);
    const last = decodeRecords(bytes.subarray(0, bytes.length - 1)).length; // where the last record starts
    expect(decodeRecords(bytes).changes.at(-1)?.[0], 'the last record is the last message').toMatch(/^INSERT INTO messages/);
    expect(decodeRecords(bytes.subarray(0, last)).changes.length, 'the last record holds one change').toBe(decodeRecords(bytes).changes.length - 1);

    const damaged: Array<[string, Buffer]> = [];
    for (let cut = last + 1; cut < bytes.length; cut++) damaged.push([`cut at byte ${cut}`, bytes.subarray(0, cut)]);
    for (let at = last; at < bytes.length; at++) {
      const flipped = Buffer.from(bytes);
      flipped[at] = flipped[at]! ^ 0xff;
      damaged.push([`byte ${at} flipped`, flipped]);
    }
    damaged.push(['garbage after it', Buffer.concat([bytes.subarray(0, last), Buffer.from('\x07\x00\x00\x00garbage!')])]);
    damaged.push(['a whole record of another kind', Buffer.concat([bytes.subarray(0, last), encodeRecord({ not: 'a change' })])]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const [how, content] of damaged) {
        const folder = await scratch();
        await writeFile(path.join(folder, 'chat.sqlite.journal-0'), content);
        const reopened = await openStore(folder);
        expect(contentsOf(reopened), how).toEqual(numbered(0, 4));
        expect((await stat(path.join(folder, 'chat.sqlite.journal-0'))).size, `${how}: the tail cut off`).toBe(last);
        await annAndBenWrite(reopened, 1, 100);
        await reopened.close();
        const again = await openStore(folder);
        expect(contentsOf(again), `${how}, then a new message and a restart`).toEqual([...numbered(0, 4), 'message 100']);
        await again.close();
        await rm(folder, { recursive: true });
      }
      expect(warn.mock.calls.every(([text]) => /torn or damaged record/.test(String(text))), 'each cut is logged').toBe(true);
      expect(warn).toHaveBeenCalledTimes(damaged.length);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('a crash during a snapshot', () => {
  /**
   * Real runs, copied at two moments: before a snapshot (snapshot N, its journal) and after
   * it (snapshot N+1, the new journal with later messages). A kill at any step of the
   * snapshot leaves a mix of the two; each mix must load with every message.
   */
  it('leaves files that load with every acknowledged message, whatever step it stopped at', async () => {
    const live = await scratch();
    const before = await scratch();
    const after = await scratch();
    const store = await openStore(live);
    await annAndBenWrite(store, 10);
    await store.snapshot(); // a first snapshot, so that the next one starts from one
    await annAndBenWrite(store, 10, 10);
    await cp(live, before, { recursive: true });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await store.snapshot();
    log.mockRestore();
    await annAndBenWrite(store, 10, 20);
    await store.close();
    await cp(live, after, { recursive: true });
    const [oldJournal] = (await filesOf(before)).filter((name) => name.includes('.journal-'));
    const [newJournal] = (await filesOf(after)).filter((name) => name.includes('.journal-'));
    expect(oldJournal, 'the snapshot started a new journal').not.toBe(newJournal);

    const states: Array<[string, Array<[string, string]>]> = [
      ['after the new journal was started, before the worker wrote anything', [[before, 'chat.sqlite'], [before, oldJournal!], [after, newJournal!]]],
      ['while the snapshot was written to its temporary file', [[before, 'chat.sqlite'], [before, oldJournal!], [after, newJournal!]]],
      ['after the rename, before the old journal was deleted', [[after, 'chat.sqlite'], [before, oldJournal!], [after, newJournal!]]],
      ['after the old journal was deleted', [[after, 'chat.sqlite'], [after, newJournal!]]],
    ];
    for (const [when, files] of states) {
      const folder = await scratch();
      for (const [from, name] of files) await cp(path.join(from, name), path.join(folder, name));
      if (when.includes('temporary')) await writeFile(path.join(folder, 'chat.sqlite.snapshot-tmp'), Buffer.from('SQLite format 3\0 and then nothing'));
      const reopened = await openStore(folder);
      expect(contentsOf(reopened), `killed ${when}`).toEqual(numbered(0, 30));
      await reopened.close();
      const snapshotInPlace = files.some(([from, name]) => from === after && name === 'chat.sqlite');
      const needed = snapshotInPlace ? ['chat.sqlite', newJournal!] : ['chat.sqlite', oldJournal!, newJournal!];
      expect(await filesOf(folder), `killed ${when}: the temporary file and the journals the snapshot holds are gone, the others kept`).toEqual(needed);
    }
  });

  it('kill -9 of the chat while it makes snapshots one after another loses no acknowledged message', { timeout: 60_000 }, async () => {
    const folder = await scratch();
    const acked: string[] = [];
    for (let round = 0; round < 3; round++) {
      const chat = await startChat(folder);
      try {
        const { token, ben } = await session(chat.url, round === 0);
        const started = chat.waitForLine(/^snapshot: folding/);
        let sending = true;
        const sender = (async () => {
          for (let n = 0; sending; n++) {
            const content = `round ${round} message ${n}`;
            const reply = await post(chat.url, '/messages', { to: ben, content }, token).catch(() => undefined);
            if (reply?.status === 201) acked.push(content);
          }
        })();
        await started; // a snapshot is being made: its worker has only just started
        chat.child.kill('SIGKILL');
        sending = false;
        await sender;
      } finally {
        chat.child.kill('SIGKILL');
        await chat.exited;
      }
    }
    const chat = await startChat(folder);
    try {
      const { token, ben } = await session(chat.url, false);
      const kept = new Set((await wholeHistory(chat.url, ben, token)).map((m) => m.content));
      expect(acked.length, 'messages acknowledged before the kills').toBeGreaterThan(0);
      expect(acked.filter((content) => !kept.has(content)), 'acknowledged messages missing after the kills').toEqual([]);
    } finally {
      chat.child.kill('SIGKILL');
      await chat.exited;
    }
  });
});

describe('a write the disk refuses', () => {
  it('is undone in memory and cut off the file: after a restart the refused message is not there, the next one is', async () => {
    const folder = await scratch();
    const disk = failingDisk((length) => length - 3); // most of the write lands, then the disk is full
    const store = await openStore(folder, { disk });
    const { ann, ben } = await annAndBenWrite(store, 2);
    disk.failing = true;
    // three records in one write: the first two land whole, and would be replayed if they were left in the file
    for (const n of [1, 2, 3]) store.addMessage(ann, ben, `refused ${n}, a longer message than the one that follows`);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await expect(store.commit()).rejects.toMatchObject({ status: 503 });
    error.mockRestore();
    disk.failing = false;
    expect(contentsOf(store), 'in memory after the failure').toEqual(numbered(0, 2));
    store.addMessage(ann, ben, 'accepted');
    await store.commit();
    expect(contentsOf(store), 'in memory after the next write').toEqual([...numbered(0, 2), 'accepted']);
    await store.close();
    const reopened = await openStore(folder);
    expect(contentsOf(reopened), 'after a restart').toEqual([...numbered(0, 2), 'accepted']);
    await reopened.close();
  });
});

describe('a start that fails', () => {
  /** Paths this process has open under `folder` (Linux: /proc/self/fd). */
  const openUnder = (folder: string) =>
    readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return ''; // closed between the listing and the read
        }
      })
      .filter((target) => target.startsWith(folder));

  it('leaves no file open: the starter, which cannot hash the demo passwords yet, closes the journal it opened', async () => {
    const folder = await scratch();
    const { createApp } = await import('../../lessons/05-chat/server.ts');
    await expect(createApp({ file: path.join(folder, 'chat.sqlite'), demo: true })).rejects.toThrow(/TODO 1/);
    expect(openUnder(folder), 'files of the chat still open after createApp() failed').toEqual([]);
  });
});

describe('loading', () => {
  const file = (folder: string) => path.join(folder, 'chat.sqlite');
  const message = (n: number): Change => ['INSERT INTO messages (from_id, to_id, content, time) VALUES (1, 2, ?, 0)', [`message ${n}`]];
  const users: Change[] = [
    ["INSERT INTO users (name, name_key, password_hash, created) VALUES ('ann', 'ann', 'h', 0)", []],
    ["INSERT INTO users (name, name_key, password_hash, created) VALUES ('ben', 'ben', 'h', 0)", []],
  ];

  async function journalFiles(folder: string, journals: Record<number, Change[]>): Promise<void> {
    for (const [number, changes] of Object.entries(journals)) await writeFile(journalPath(file(folder), Number(number)), encodeChanges(changes));
  }

  it('replays journals in numeric order (9 before 10), from the first one the snapshot lacks', async () => {
    const folder = await scratch();
    await journalFiles(folder, { 9: [...users, message(1)], 10: [message(2)], 11: [message(3)] });
    await setNextJournal(folder, 9);
    const store = await openStore(folder);
    expect(contentsOf(store)).toEqual(['message 1', 'message 2', 'message 3']);
    await store.close();
  });

  it('sets aside the journals after a missing one (their changes were made on top of it), and says so', async () => {
    const folder = await scratch();
    await journalFiles(folder, { 9: [...users, message(1)], 11: [message(3)] });
    await setNextJournal(folder, 9);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const store = await openStore(folder);
    expect(error.mock.calls.map(([text]) => String(text)).join('\n')).toMatch(/journal-10 is missing/);
    error.mockRestore();
    expect(contentsOf(store)).toEqual(['message 1']);
    store.addMessage(1, 2, 'message 4');
    await store.commit();
    await store.close();
    expect((await filesOf(folder)).some((name) => /journal-11\.damaged-\d+$/.test(name)), 'journal 11 set aside').toBe(true);
    const again = await openStore(folder);
    expect(contentsOf(again)).toEqual(['message 1', 'message 4']);
    await again.close();
  });

  it('stops at damage in a journal that others follow, sets the later ones aside, and says so', async () => {
    const folder = await scratch();
    await journalFiles(folder, { 0: [...users, message(1), message(2)], 1: [message(3)] });
    const bytes = await readFile(journalPath(file(folder), 0));
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1;
    await writeFile(journalPath(file(folder), 0), bytes);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const store = await openStore(folder);
    expect(error.mock.calls.map(([text]) => String(text)).join('\n')).toMatch(/damaged in .*journal-0/);
    error.mockRestore();
    expect(contentsOf(store)).toEqual(['message 1']);
    await store.close();
    expect((await filesOf(folder)).some((name) => /journal-1\.damaged-\d+$/.test(name)), 'journal 1 set aside').toBe(true);
  });

  it('reads a database file of the old whole-file format (no journal) as a snapshot', async () => {
    const folder = await scratch();
    const store = await openStore(await scratch());
    await store.close();
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run(await schemaOfTheStore());
    db.run("INSERT INTO users (name, name_key, password_hash, created) VALUES ('ann', 'ann', 'h', 0), ('ben', 'ben', 'h', 0)");
    db.run("INSERT INTO messages (from_id, to_id, content, time) VALUES (1, 2, 'kept from before', 0)");
    db.run('DROP TABLE journal_position');
    db.run('PRAGMA user_version = 2');
    await writeFile(file(folder), db.export());
    const reopened = await openStore(folder);
    expect(contentsOf(reopened)).toEqual(['kept from before']);
    await reopened.close();
  });

  it('moves a file of another version aside, journals and all, and starts a new database', async () => {
    const folder = await scratch();
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); PRAGMA user_version = 1');
    await writeFile(file(folder), db.export());
    await journalFiles(folder, { 0: [["INSERT INTO users (name) VALUES ('x')", []]] });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const store = await openStore(folder);
    expect(warn.mock.calls.map(([text]) => String(text)).join('\n')).toMatch(/another version/);
    warn.mockRestore();
    expect(store.countUsers()).toBe(0);
    await store.close();
    const names = await filesOf(folder);
    expect(names.filter((name) => name.includes('.old-')), 'the old file and its journal, moved aside').toHaveLength(2);
  });

  /** The snapshot of a store that holds nothing, with `next_journal` set: journals before it are folded in. */
  async function setNextJournal(folder: string, next: number): Promise<void> {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run(await schemaOfTheStore());
    db.run('DELETE FROM journal_position');
    db.run('INSERT INTO journal_position (next_journal) VALUES (?)', [next]);
    await writeFile(file(folder), db.export());
  }

  /** The tables as the store makes them, read back from a snapshot of an empty store. */
  async function schemaOfTheStore(): Promise<string> {
    const folder = await scratch();
    const store = await openStore(folder);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await store.snapshot();
    log.mockRestore();
    await store.close();
    const SQL = await initSqlJs();
    const db = new SQL.Database(await readFile(file(folder)));
    const sql = db.exec("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")[0]!.values.map(([text]) => `${String(text)};`).join('\n');
    db.close();
    return `${sql}\nINSERT INTO journal_position (next_journal) VALUES (0);\nPRAGMA user_version = 2;`;
  }
});

// --- the chat as a process -------------------------------------------------------------

interface Chat {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  waitForLine(pattern: RegExp): Promise<string>;
}

/** The reference chat (main.ts) on `folder`, making a snapshot after every write (--snapshot-min-bytes 1). */
async function startChat(folder: string): Promise<Chat> {
  const main = path.join(projectRoot, 'solutions', '05-chat', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', '0', '--file', path.join(folder, 'chat.sqlite'), '--snapshot-min-bytes', '1'], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr!.resume();
  const waitForLine = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      waiters.push({ pattern, resolve });
      void exited.then(() => reject(new Error(`the chat exited before printing ${pattern}; it printed:\n${lines.join('\n')}`)));
    });
  const listening = await waitForLine(/^listening http:/);
  return { url: listening.slice('listening '.length), child, exited, waitForLine };
}

const PASSWORD = 'a journal test password';

async function post(url: string, route: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

async function get(url: string, route: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(url + route, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Every message between ann and `ben`, page by page, newest page first. */
async function wholeHistory(url: string, ben: number, token: string): Promise<Array<{ id: number; content: string }>> {
  const all: Array<{ id: number; content: string }> = [];
  for (let before = 999_999_999_999; ; ) {
    const page = (await get(url, `/history?with=${ben}&before=${before}`, token)).messages as Array<{ id: number; content: string }>;
    if (page.length === 0) return all;
    all.push(...page);
    before = page[0]!.id;
  }
}

/** ann's token and ben's id; with `create`, registers both and makes them friends first. */
async function session(url: string, create: boolean): Promise<{ token: string; ben: number }> {
  if (create) {
    for (const name of ['ann', 'ben']) expect((await post(url, '/register', { name, password: PASSWORD })).status).toBe(201);
  }
  const ann = await post(url, '/login', { name: 'ann', password: PASSWORD });
  const ben = await post(url, '/login', { name: 'ben', password: PASSWORD });
  const annId = (ann.body.user as { id: number }).id;
  const benId = (ben.body.user as { id: number }).id;
  if (create) {
    expect((await post(url, '/friends', { name: 'ben' }, ann.body.token as string)).status).toBe(202);
    expect((await post(url, `/friends/${annId}/accept`, {}, ben.body.token as string)).status).toBe(201);
  }
  return { token: ann.body.token as string, ben: benId };
}
