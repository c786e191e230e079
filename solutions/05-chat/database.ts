/**
 * The chat's database: SQLite in memory (sql.js, SQLite compiled to WebAssembly), kept on
 * disk by a journal (journal.ts) and snapshots (snapshots.ts). Given code: read it to see
 * how an in-memory database can promise "acknowledged means on disk", at any size.
 *
 * **Why a journal.** The simplest way to keep sql.js on disk is to export the whole database
 * after every change and write it over the old file. That costs O(size of the database) per
 * commit: 100 KB for an empty chat, 15 MB per message once it holds 100,000. A journal costs
 * O(size of the change): one record appended, one fdatasync. SQLite's own WAL mode is the
 * same idea — new pages go to a log, and a checkpoint folds the log back into the file.
 *
 * **Why snapshots.** A journal alone grows for ever, and a start would replay all of it.
 * Once the journal outgrows the last snapshot (and `snapshotMinBytes`), a worker thread
 * writes a new snapshot and the old journal goes. A snapshot of S bytes is written once per
 * S bytes of journal: however long the history, that adds about one journal's worth of
 * bytes per message (amortised O(1)), and a start replays at most about one snapshot's
 * worth of journal.
 *
 * **Memory.** sql.js keeps the whole database in memory: RAM is its size limit. The bench
 * measures the resident memory at a million messages.
 *
 * @module
 */
import { rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import initSqlJs, { type Database, type SqlJsStatic, type SqlValue, type Statement } from 'sql.js';
import { Journal, nodeDisk, type Disk } from './journal.ts';
import { journalPath, loadDatabase, prepare, syncFolder, type Setup, type SnapshotJob } from './snapshots.ts';

export interface DurabilityOptions {
  /** The snapshot; the journals go next to it. In memory only when omitted. */
  file?: string;
  /** Wait this long before each journal write, so that more changes share it (default 0). */
  commitDelayMs?: number;
  /** No snapshot before the journal holds this many bytes (default 4 MB). */
  snapshotMinBytes?: number;
  /** Where the journal writes (default: the real disk). */
  disk?: Disk;
}

/** What the owner learns of each write. */
export interface CommitHooks {
  /** A write starts: it carries every change made until now. */
  taken(): void;
  /** The write that started with the last `taken()` is on disk. */
  written(): void;
}

export class DurableDatabase {
  #db: Database;
  /** Each statement is prepared once: SQLite parses it once, not on every request. */
  readonly #statements = new Map<string, Statement>();
  readonly #columns = new Map<string, string[]>();
  readonly #SQL: SqlJsStatic;
  readonly #setup: Setup;
  readonly #hooks: CommitHooks;
  readonly #file: string | undefined;
  readonly #disk: Disk;
  readonly #minBytes: number;
  #journal: Journal | undefined;
  #journalNumber = 0;
  #firstJournal = 0;
  #snapshotBytes = 0;
  /** The snapshot being made, if one is. */
  #snapshot: { worker: Worker; done: Promise<void> } | undefined;
  /** Asked for a snapshot at the next chance, whatever the sizes. */
  #snapshotWanted = false;
  /** Set by close(): a second close waits for the first. */
  #closed: Promise<void> | undefined;

  private constructor(SQL: SqlJsStatic, db: Database, setup: Setup, options: DurabilityOptions, hooks: CommitHooks) {
    this.#SQL = SQL;
    this.#db = db;
    this.#setup = setup;
    this.#hooks = hooks;
    this.#file = options.file;
    this.#disk = options.disk ?? nodeDisk;
    this.#minBytes = options.snapshotMinBytes ?? 4 * 1024 * 1024;
  }

  /** Opens the database in `options.file` (snapshot and journals; created when missing), after repairing what a crash left. */
  static async open(setup: Setup, options: DurabilityOptions, hooks: CommitHooks): Promise<DurableDatabase> {
    const SQL = await initSqlJs();
    if (!options.file) {
      const db = new SQL.Database();
      prepare(db, setup);
      return new DurableDatabase(SQL, db, setup, options, hooks);
    }
    const loaded = await loadDatabase(SQL, options.file, setup, true);
    const durable = new DurableDatabase(SQL, loaded.db, setup, options, hooks);
    const journalFile = await durable.#disk.openJournal(journalPath(options.file, loaded.journal));
    await syncFolder(options.file);
    durable.#journal = new Journal(journalFile, loaded.journalBytes, durable.#journalHooks(), options.commitDelayMs ?? 0);
    durable.#journalNumber = loaded.journal;
    durable.#firstJournal = loaded.firstJournal;
    durable.#snapshotBytes = loaded.snapshotBytes;
    return durable;
  }

  /** Makes a change in memory; it is written to the journal with the next commit. */
  run(sql: string, params: SqlValue[] = []): void {
    this.#statement(sql).run(params);
    this.#journal?.add([sql, params]); // only a change that worked: a failed one changed nothing
  }

  /** The rows of a query, as objects named by its columns. */
  all<T>(sql: string, params: SqlValue[] = []): T[] {
    const statement = this.#statement(sql);
    try {
      statement.bind(params);
      const rows: T[] = [];
      let columns: string[] | undefined;
      while (statement.step()) {
        columns ??= this.#columnsOf(sql, statement);
        const values = statement.get();
        const row: Record<string, SqlValue> = {};
        for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i]!;
        rows.push(row as T);
      }
      return rows;
    } finally {
      statement.reset();
    }
  }

  /** Resolves once every change made before this call is on disk; rejects (WriteFailed, 503) if it never will be, and then those changes are undone. */
  commit(): Promise<void> {
    if (this.#journal) return this.#journal.commit();
    this.#hooks.taken(); // in memory only: committed is as durable as it gets
    this.#hooks.written();
    return Promise.resolve();
  }

  /** Makes a snapshot now, whatever the sizes (for the bench and the tests); resolves once it is in place. */
  async snapshot(): Promise<void> {
    await this.#snapshot?.done;
    this.#snapshotWanted = true;
    await this.commit();
    await this.#snapshot?.done;
  }

  /** Waits for the writes asked for so far; a snapshot being made is abandoned (the next start does without it). */
  close(): Promise<void> {
    this.#closed ??= this.#closeOnce();
    return this.#closed;
  }

  async #closeOnce(): Promise<void> {
    await this.#journal?.close();
    await this.#snapshot?.worker.terminate();
    for (const statement of this.#statements.values()) statement.free();
    this.#statements.clear();
    this.#db.close();
  }

  #columnsOf(sql: string, statement: Statement): string[] {
    let columns = this.#columns.get(sql);
    if (!columns) this.#columns.set(sql, (columns = statement.getColumnNames()));
    return columns;
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  #journalHooks() {
    return {
      taken: () => this.#hooks.taken(),
      written: () => this.#hooks.written(),
      rolledBack: () => this.#reload(),
      betweenWrites: () => this.#maybeStartSnapshot(),
    };
  }

  /** After a failed write: the memory goes back to what the disk holds, so nothing of that write remains. */
  async #reload(): Promise<void> {
    for (const statement of this.#statements.values()) statement.free();
    this.#statements.clear();
    this.#db.close();
    this.#db = (await loadDatabase(this.#SQL, this.#file!, this.#setup, false)).db;
  }

  /**
   * Called between two journal writes. When the journal has grown enough, new changes go to
   * a new journal file from now on, and a worker folds the closed ones into a new snapshot.
   */
  async #maybeStartSnapshot(): Promise<void> {
    const journal = this.#journal!;
    if (this.#snapshot) return;
    const grown = journal.size >= Math.max(this.#minBytes, this.#snapshotBytes);
    if (!grown && !this.#snapshotWanted) return;
    this.#snapshotWanted = false;
    const file = this.#file!;
    const first = this.#firstJournal;
    const last = this.#journalNumber;
    const foldedBytes = journal.size;
    try {
      const next = await this.#disk.openJournal(journalPath(file, last + 1));
      await syncFolder(file); // the new journal's name is on disk before anything is written in it
      await journal.switchTo(next);
      this.#journalNumber = last + 1;
    } catch (error) {
      console.error('A new journal could not be started; the snapshot waits for the next try:', error);
      return;
    }
    console.log(`snapshot: folding ${journalPath(file, first)}…${last} (the last ${foldedBytes.toLocaleString('en')} bytes) into ${file}`);
    const started = performance.now();
    const worker = startSnapshotWorker({ file, setup: this.#setup, first, last });
    const done = worker.done
      .then(async (bytes) => {
        this.#firstJournal = last + 1;
        this.#snapshotBytes = bytes;
        for (let number = first; number <= last; number++) await rm(journalPath(file, number), { force: true });
        console.log(`snapshot: ${file} in place (${bytes.toLocaleString('en')} bytes, ${Math.round(performance.now() - started)} ms)`);
      })
      .catch((error: unknown) => {
        if (!this.#closed) console.error('A snapshot failed; the journals are kept, and a later snapshot tries again:', error);
      })
      .finally(() => (this.#snapshot = undefined));
    this.#snapshot = { worker: worker.worker, done };
  }
}

/**
 * Starts snapshot-worker.ts in a worker thread. A worker does not inherit the TypeScript
 * loader (tsx) of the thread that starts it, so it registers it before loading the file.
 */
function startSnapshotWorker(job: SnapshotJob): { worker: Worker; done: Promise<number> } {
  const script = new URL('./snapshot-worker.ts', import.meta.url).href;
  const loader = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: job });
  const done = new Promise<number>((resolve, reject) => {
    worker.once('message', (answer: { bytes?: number; error?: string }) => (answer.error === undefined ? resolve(answer.bytes!) : reject(new Error(answer.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the snapshot worker stopped (exit code ${code}) before it finished`)));
  });
  return { worker, done };
}
