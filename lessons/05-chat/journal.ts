/**
 * The journal: every change the chat makes is appended to a file and forced to the disk
 * (fdatasync) before anyone is told it happened. Given code: read it, you do not write it.
 *
 * A change is a SQL statement and its bound values. Replayed in the same order on the same
 * database, the same statements give the same rows, ids included: the journal is enough to
 * rebuild everything that happened since the last snapshot (see snapshots.ts).
 *
 * **Records.** Each record is its length (4 bytes), a CRC-32 checksum of its text (4
 * bytes), then the text (JSON). A crash can stop the disk in the middle of a record; the
 * length says where a record should end and the checksum says whether what is there is what
 * was written, so a reader stops at the first record that is not whole and intact. That
 * record was never acknowledged: its fdatasync had not returned.
 *
 * A statement's text is written once per file, in a record of its own (`["sql", 3, "INSERT
 * …"]`); each change names it by number (`[3, [1, 2, "hi", 1764…]]`). The chat runs the same
 * few statements all the time: the journal holds their values, not the same SQL again and
 * again.
 *
 * **Group commit.** fdatasync costs the same for one record or a hundred. A commit asked for
 * while a write is running joins the *next* write, and every change made before that next
 * write starts is in it: sixty-four messages sent at once cost two syncs, not sixty-four.
 *
 * **A failed write.** The disk can refuse (full, broken). The records may then be half on
 * disk: the file is cut back to where it ended before, so that the next write does not land
 * after a half record (a reader would stop there and never see it). The owner puts its
 * memory back as the disk has it (`rolledBack`), and every commit whose changes that undid
 * fails too: the one that was writing and the one queued behind it.
 *
 * @module
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { SqlValue } from 'sql.js';

/** One change: a statement and the values bound to its `?`. */
export type Change = readonly [sql: string, params: readonly SqlValue[]];

/** Length (4 bytes) and CRC-32 (4 bytes) in front of each record's text. */
const HEADER_BYTES = 8;
/** A length above this is not a record but damage (a message is at most a few KB). */
const MAX_RECORD_BYTES = 1 << 24;

/** One record's bytes: length, CRC-32, then `value` as JSON. */
export function encodeRecord(value: unknown): Buffer {
  const text = Buffer.from(JSON.stringify(value), 'utf8');
  const record = Buffer.allocUnsafe(HEADER_BYTES + text.length);
  record.writeUInt32LE(text.length, 0);
  record.writeUInt32LE(crc32(text), 4);
  text.copy(record, HEADER_BYTES);
  return record;
}

/** Turns changes into records for one journal file: each statement's text once, then its number. */
export class RecordWriter {
  readonly #numbers = new Map<string, number>();
  #next = 0;

  /** The records of one change: the statement's text first if this file does not have it yet. */
  encode([sql, params]: Change): Buffer[] {
    let number = this.#numbers.get(sql);
    const records: Buffer[] = [];
    if (number === undefined) {
      number = this.#next++;
      this.#numbers.set(sql, number);
      records.push(encodeRecord(['sql', number, sql]));
    }
    records.push(encodeRecord([number, params]));
    return records;
  }

  /**
   * Forgets which texts are written (after a failed write cut them off again): they are
   * written anew when next used. A reader takes a change's number to mean the text last
   * written for it before the change, so naming a text again is always safe.
   */
  forget(): void {
    this.#numbers.clear();
  }
}

/** The records of `changes`, as one journal file would hold them. */
export function encodeChanges(changes: readonly Change[]): Buffer {
  const writer = new RecordWriter();
  return Buffer.concat(changes.flatMap((change) => writer.encode(change)));
}

/**
 * Calls `apply` with each change in `bytes` (one journal file), in order, up to the first
 * record that is not whole and intact; returns where the last good record ends (what follows
 * is a torn or damaged tail).
 */
export function readRecords(bytes: Buffer, apply: (change: Change) => void): number {
  const statements = new Map<number, string>();
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    const size = bytes.readUInt32LE(at);
    const end = at + HEADER_BYTES + size;
    if (size > MAX_RECORD_BYTES || end > bytes.length) break; // torn: the crash came while it was written
    const text = bytes.subarray(at + HEADER_BYTES, end);
    if (crc32(text) !== bytes.readUInt32LE(at + 4)) break; // damaged: not what was written
    const record = parseRecord(text);
    if (record?.kind === 'statement') statements.set(record.number, record.sql);
    else if (record?.kind === 'change' && statements.has(record.number)) apply([statements.get(record.number)!, record.params]);
    else break; // not a record this journal writes
    at = end;
  }
  return at;
}

/** The changes in `bytes`, and where the last good record ends (see readRecords). */
export function decodeRecords(bytes: Buffer): { changes: Change[]; length: number } {
  const changes: Change[] = [];
  const length = readRecords(bytes, (change) => changes.push(change));
  return { changes, length };
}

type ParsedRecord = { kind: 'statement'; number: number; sql: string } | { kind: 'change'; number: number; params: SqlValue[] };

function parseRecord(text: Buffer): ParsedRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (value.length === 3 && value[0] === 'sql' && Number.isInteger(value[1]) && typeof value[2] === 'string') return { kind: 'statement', number: value[1] as number, sql: value[2] };
  if (value.length === 2 && Number.isInteger(value[0]) && Array.isArray(value[1])) return { kind: 'change', number: value[0] as number, params: value[1] as SqlValue[] };
  return undefined;
}

/**
 * The few things the journal does to its file. The chat uses the real disk (`nodeDisk`);
 * a test can hand it a disk that fails on demand, as SQLite's own tests use a failing VFS.
 */
export interface JournalFile {
  write(buffers: Buffer[], position: number): Promise<void>;
  /** The bytes written so far are on the disk when this resolves (fdatasync; nothing left to do for a file opened with O_DSYNC). */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface Disk {
  /** Opens `path` for writing without cutting it (created when missing). */
  openJournal(path: string): Promise<JournalFile>;
}

export const nodeDisk: Disk = {
  async openJournal(path) {
    // O_DSYNC: each write returns only once its bytes are on the disk — the same as a write
    // followed by fdatasync, in one system call instead of two (one trip to Node's thread
    // pool, not two: about 50 µs less per commit here).
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC);
    return {
      async write(buffers, position) {
        await handle.writev(buffers, position);
      },
      sync: async () => undefined, // done by each write (O_DSYNC)
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  },
};

/** A commit that did not reach the disk: its changes were undone. Answer 503, not 500. */
export class WriteFailed extends Error {
  readonly status = 503;
}

/** What the owner of the journal does at each step. */
export interface JournalHooks {
  /** A write starts: it carries every change made until now. */
  taken(): void;
  /** The write that started with the last `taken()` is on disk. */
  written(): void;
  /** A write failed: put the memory back as the disk has it. */
  rolledBack(): Promise<void>;
  /** Between two writes, with none running: the moment to start a new journal file. */
  betweenWrites(): Promise<void>;
}

export class Journal {
  #file: JournalFile;
  /** Bytes of the file that hold whole, synced records: where the next write goes. */
  #size: number;
  readonly #hooks: JournalHooks;
  readonly #delayMs: number;
  /** Records of changes made since the last write started. */
  #pending: Buffer[] = [];
  /** Which statement texts this file holds already. */
  #records = new RecordWriter();
  /** The write that is running or queued last; the next one starts after it. */
  #last: Promise<void> = Promise.resolve();
  /** The next write, not started yet: commits asked for now join it. */
  #next: Promise<void> | undefined;
  /** Counts rollbacks: a write queued before one carries changes that no longer exist. */
  #rollbacks = 0;
  /** Set when a failed write could not even be cut off: writing after it would hide it. */
  #broken = false;

  /** @param size the length of the file's good records (a torn tail is cut off before). */
  constructor(file: JournalFile, size: number, hooks: JournalHooks, delayMs = 0) {
    this.#file = file;
    this.#size = size;
    this.#hooks = hooks;
    this.#delayMs = delayMs;
  }

  /** Bytes in the current journal file. */
  get size(): number {
    return this.#size;
  }

  /** Notes a change that was just made in memory; it is written with the next commit. */
  add(change: Change): void {
    this.#pending.push(...this.#records.encode(change));
  }

  /** Resolves once every change made before this call is on disk; rejects with {@link WriteFailed} if it never will be. */
  commit(): Promise<void> {
    const rollbacks = this.#rollbacks;
    this.#next ??= this.#last = this.#last
      .catch(() => undefined)
      .then(() => (this.#delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.#delayMs)) : undefined))
      .then(async () => {
        this.#next = undefined; // from here on, new changes wait for the write after this one
        if (rollbacks !== this.#rollbacks) throw new WriteFailed('An earlier write failed, so these changes were undone: nothing was kept. Try again.');
        if (this.#broken) throw new WriteFailed('The chat cannot write to its disk until it is restarted: nothing was kept.');
        await this.#writeAndSync();
        await this.#hooks.betweenWrites();
      });
    return this.#next;
  }

  /** Carries on in a new file (after a snapshot took the old one's changes, or is about to). Call only from `betweenWrites`. */
  async switchTo(file: JournalFile): Promise<void> {
    await this.#file.close();
    this.#file = file;
    this.#size = 0;
    this.#records = new RecordWriter(); // a new file names its statements anew
  }

  /** Waits for the writes asked for so far, then closes the file. */
  async close(): Promise<void> {
    await this.#last.catch(() => undefined);
    await this.#file.close();
  }

  async #writeAndSync(): Promise<void> {
    const records = this.#pending;
    this.#pending = [];
    this.#hooks.taken();
    if (records.length === 0) return this.#hooks.written(); // nothing new: what came before is on disk already
    const start = this.#size;
    try {
      await this.#file.write(records, start);
      await this.#file.sync(); // the acknowledgement waits for this, and for nothing else
    } catch (error) {
      await this.#rollBack(start, error);
    }
    this.#size = start + records.reduce((sum, record) => sum + record.length, 0);
    this.#hooks.written();
  }

  async #rollBack(start: number, error: unknown): Promise<never> {
    this.#rollbacks++;
    this.#next = undefined; // already doomed: later changes start a write of their own
    this.#pending = [];
    this.#records.forget(); // texts written in the failed write are cut off with it
    // The reason goes to the server's terminal; the client learns only that it failed (an
    // error message can name files and folders of the server).
    console.error('The chat journal could not be written; the change was undone:', error);
    await this.#file.truncate(start).catch((cut: unknown) => {
      this.#broken = true;
      console.error('…and the half-written records could not be cut off, so nothing more is written until a restart:', cut);
    });
    await this.#hooks.rolledBack();
    throw new WriteFailed('The change could not be stored, so nothing of it was kept. Try again.');
  }
}
