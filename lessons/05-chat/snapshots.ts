/**
 * Snapshots: the whole database in one file, so that a start does not replay every change
 * ever made. Given code, like journal.ts.
 *
 * On disk, next to each other:
 * - `chat.sqlite` — the newest snapshot, an ordinary SQLite file (open it with `sqlite3`).
 *   Its table `journal_position` names the journal that continues it;
 * - `chat.sqlite.journal-7`, `-8`, … — the journals, oldest first: the changes made since.
 *
 * Making a snapshot (done by snapshot-worker.ts, in a worker thread, like SQLite's WAL
 * checkpoint): between two writes the chat starts a new journal, so the older ones stop
 * growing; the worker loads the snapshot, replays those older journals into it, and writes the
 * result to a temporary file, syncs it and renames it over `chat.sqlite`. Only then are the
 * older journals deleted. A crash at any moment leaves a state that loads: before the
 * rename, the old snapshot and every journal; after it, the new snapshot, and journals it
 * already holds (which a start deletes).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rename, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { readRecords, type Change } from './journal.ts';

export const journalPath = (file: string, number: number): string => `${file}.journal-${number}`;
const temporaryPath = (file: string): string => `${file}.snapshot-tmp`;

/** What to run on every database that is opened: the tables (CREATE … IF NOT EXISTS) and per-connection settings. */
export interface Setup {
  sql: string;
  /** PRAGMA user_version of the current tables; a file with another one is moved aside. */
  version: number;
}

/** A database loaded from disk, and where its journal continues. */
export interface Loaded {
  db: Database;
  /** The journal that new changes go to. */
  journal: number;
  /** Its length in good records (a torn tail not counted). */
  journalBytes: number;
  /** The first journal the snapshot does not hold. */
  firstJournal: number;
  snapshotBytes: number;
}

/**
 * Loads the newest snapshot and replays every journal after it, up to the last whole,
 * checksum-valid record. With `repair` (at a start), it also cleans up after a crash: a torn
 * tail is cut off, journals the snapshot holds are deleted, a half-written snapshot too.
 */
export async function loadDatabase(SQL: SqlJsStatic, file: string, setup: Setup, repair: boolean): Promise<Loaded> {
  if (repair) await rm(temporaryPath(file), { force: true });
  const bytes = existsSync(file) ? await readFile(file) : undefined;
  let db = new SQL.Database(bytes);
  if (repair && isOlderVersion(db, setup)) {
    db.close();
    await moveAside(file, setup);
    db = new SQL.Database();
  }
  prepare(db, setup);
  const firstJournal = nextJournalOf(db);
  const all = await journalsOf(file);
  // Journals older than the snapshot were folded into it; the crash came before they were deleted.
  if (repair) for (const number of all.filter((n) => n < firstJournal)) await rm(journalPath(file, number), { force: true });
  const numbers = all.filter((n) => n >= firstJournal);
  let journal = firstJournal;
  let journalBytes = 0;
  const replayer = new Replayer(db);
  try {
    for (const [index, number] of numbers.entries()) {
      if (number !== firstJournal + index) {
        console.error(`The chat journal ${journalPath(file, firstJournal + index)} is missing: the changes from ${journalPath(file, number)} on cannot be replayed, and are set aside.`);
        if (repair) await setAside(file, numbers.slice(index));
        break;
      }
      const read = await replayJournal(file, number, replayer);
      journal = number;
      journalBytes = read.length;
      if (read.length < read.bytes) {
        if (repair) await cutOff(file, number, read, numbers.slice(index + 1));
        break;
      }
    }
  } finally {
    replayer.finish();
  }
  return { db, journal, journalBytes, firstJournal, snapshotBytes: bytes?.length ?? 0 };
}

/** Replays one journal file; resolves with where its good records end, and its length. */
async function replayJournal(file: string, number: number, replayer: Replayer): Promise<{ length: number; bytes: number }> {
  const bytes = await readFile(journalPath(file, number));
  return { length: readRecords(bytes, (change) => replayer.apply(change)), bytes: bytes.length };
}

/**
 * What follows the last good record was never acknowledged (its sync had not returned): cut
 * it off and say so. Never replayed, and never an error: a crash mid-write is expected.
 */
async function cutOff(file: string, number: number, read: { length: number; bytes: number }, later: number[]): Promise<void> {
  const where = `${journalPath(file, number)} at byte ${read.length}`;
  await truncate(journalPath(file, number), read.length);
  if (later.length === 0) {
    console.warn(`The chat journal ended in a torn or damaged record (a crash while it was written): cut off ${read.bytes - read.length} bytes of ${where}.`);
    return;
  }
  // Damage in a journal that later ones follow: their changes were made on top of the lost ones.
  console.error(`The chat journal is damaged in ${where}: cut off there; the later journals are set aside, not replayed.`);
  await setAside(file, later);
}

async function setAside(file: string, numbers: number[]): Promise<void> {
  for (const number of numbers) await rename(journalPath(file, number), `${journalPath(file, number)}.damaged-${Date.now()}`);
}

/** Journal numbers next to `file`, in order. */
async function journalsOf(file: string): Promise<number[]> {
  const prefix = `${path.basename(file)}.journal-`;
  const names = await readdir(path.dirname(file)).catch(() => []);
  return names
    .filter((name) => name.startsWith(prefix) && /^\d{1,9}$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
}

function isOlderVersion(db: Database, setup: Setup): boolean {
  const version = (db.exec('PRAGMA user_version')[0]?.values[0]?.[0] as number | undefined) ?? 0;
  const hasTables = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table'").length > 0;
  return hasTables && version !== setup.version;
}

/** A file from an older version of the lesson: kept, but not read. */
async function moveAside(file: string, setup: Setup): Promise<void> {
  const aside = `${file}.old-${Date.now()}`;
  await rename(file, aside);
  for (const number of await journalsOf(file)) await rename(journalPath(file, number), `${aside}.journal-${number}`);
  console.warn(`The chat database ${file} was made by another version of this lesson (not version ${setup.version}): moved to ${aside}; starting a new one.`);
}

/** Settings and tables, on every database opened (they are per connection, or IF NOT EXISTS). */
export function prepare(db: Database, setup: Setup): void {
  // sql.js's disk is memory: its own rollback journal may stay in memory too (3× faster
  // writes), and no other process shares the file, so SQLite may keep its lock and its page
  // cache between statements instead of checking the file before each one (8× faster reads).
  db.run('PRAGMA journal_mode = MEMORY');
  db.run('PRAGMA locking_mode = EXCLUSIVE');
  db.run(setup.sql);
  db.run(`PRAGMA user_version = ${Math.trunc(setup.version)}`); // a PRAGMA takes no bound values
  db.run('CREATE TABLE IF NOT EXISTS journal_position (next_journal INTEGER NOT NULL)');
}

const nextJournalOf = (db: Database): number => (db.exec('SELECT next_journal FROM journal_position')[0]?.values[0]?.[0] as number | undefined) ?? 0;

/** Applies changes in one transaction (one commit in memory, not one per change), each statement prepared once. */
class Replayer {
  readonly #db: Database;
  readonly #statements = new Map<string, Statement>();
  #open = false;

  constructor(db: Database) {
    this.#db = db;
  }

  apply([sql, params]: Change): void {
    if (!this.#open) this.#db.run('BEGIN');
    this.#open = true;
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    statement.run(params as SqlValue[]);
  }

  finish(): void {
    if (this.#open) this.#db.run('COMMIT');
    for (const statement of this.#statements.values()) statement.free();
  }
}

/** Job for the snapshot worker: fold journals `first`..`last` into the snapshot. */
export interface SnapshotJob {
  file: string;
  setup: Setup;
  first: number;
  last: number;
}

/** Builds the next snapshot from the current one and the closed journals, and puts it in place; resolves with its size. */
export async function writeSnapshot(SQL: SqlJsStatic, job: SnapshotJob): Promise<number> {
  const db = new SQL.Database(existsSync(job.file) ? await readFile(job.file) : undefined);
  try {
    prepare(db, job.setup);
    if (nextJournalOf(db) !== job.first) throw new Error(`the snapshot continues with journal ${nextJournalOf(db)}, not ${job.first}`);
    const replayer = new Replayer(db);
    try {
      for (let number = job.first; number <= job.last; number++) {
        const read = await replayJournal(job.file, number, replayer);
        if (read.length !== read.bytes) throw new Error(`${journalPath(job.file, number)} has a damaged record at byte ${read.length}`);
      }
      replayer.apply(['DELETE FROM journal_position', []]);
      replayer.apply(['INSERT INTO journal_position (next_journal) VALUES (?)', [job.last + 1]]);
    } finally {
      replayer.finish();
    }
    const bytes = db.export();
    await writeDurably(job.file, bytes);
    return bytes.length;
  } finally {
    db.close();
  }
}

/** Writes `bytes` to a temporary file, syncs it, renames it over `file` and syncs the folder: the file is the old one or the new one, never a mix. */
async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = temporaryPath(file);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await syncFolder(file);
}

/** A new name in a folder (a renamed or created file) is on disk once the folder is synced. */
export async function syncFolder(file: string): Promise<void> {
  const folder = await open(path.dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
