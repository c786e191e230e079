/**
 * Writing the database file so that an acknowledged change survives a crash, and a change
 * whose write failed leaves no trace.
 *
 * sql.js keeps the whole database in memory; `export()` gives its bytes. A commit writes
 * them to a temporary file, forces them to the disk (fsync), and renames the file over the
 * old one: a rename is atomic, so after a crash the file is either the old database or the
 * new one, never half of each.
 *
 * **Group commit.** Writing the file takes a few milliseconds, whatever changed. When many
 * changes arrive close together, one write can carry them all: a commit asked for while a
 * write is running joins the *next* write, and every change asked for before that next write
 * starts is in it. Ten messages posted at once cost two writes, not ten.
 *
 * **A failed write.** The disk can refuse (full, out of file handles). Then the changes of
 * that write exist only in memory: a reader could see them, and the next write would store
 * them after all — a message whose sender was told "failed" would arrive anyway, and arrive
 * twice after the sender tries again. So on a failure the owner rolls the memory back to the
 * file (`rolledBack`), and every commit whose changes that undid fails too: the one that was
 * writing, and the one queued behind it. Whoever asked is told, and nothing of it remains.
 *
 * This rewrites the whole file on every commit, which costs O(size of the database), not
 * O(size of the change): fine for a workshop's chat, and the simplest honest way to make
 * sql.js durable. A real database appends each change to a journal instead (SQLite's WAL).
 *
 * @module
 */
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

/** What the owner of the file does at each step. */
export interface DurableFileHooks {
  /** The bytes to write (the database's `export()`), asked for when a write starts. */
  snapshot(): Uint8Array;
  /** The write that started with the last snapshot is on disk. */
  written(): void;
  /** A write failed: put the memory back as the file has it. */
  rolledBack(): void;
}

/** A commit that did not reach the disk: its changes were undone. Answer 503, not 500. */
export class WriteFailed extends Error {
  readonly status = 503;
}

export class DurableFile {
  readonly #path: string;
  readonly #hooks: DurableFileHooks;
  readonly #delayMs: number;
  /** The write that is running or queued last; the next one starts after it. */
  #last: Promise<void> = Promise.resolve();
  /** The next write, not started yet: commits asked for now join it. */
  #next: Promise<void> | undefined;
  /** Counts rollbacks: a write queued before one carries changes that no longer exist. */
  #generation = 0;

  /** @param delayMs waits this long before each write, so that more changes can join it. */
  constructor(file: string, hooks: DurableFileHooks, delayMs = 0) {
    this.#path = file;
    this.#hooks = hooks;
    this.#delayMs = delayMs;
  }

  /** Resolves once every change made before this call is on disk; rejects with {@link WriteFailed} if it never will be. */
  commit(): Promise<void> {
    const generation = this.#generation;
    this.#next ??= this.#last = this.#last
      .catch(() => undefined)
      .then(() => (this.#delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.#delayMs)) : undefined))
      .then(async () => {
        this.#next = undefined; // from here on, new changes wait for the write after this one
        if (generation !== this.#generation) throw new WriteFailed('An earlier write failed, so these changes were undone: nothing was kept. Try again.');
        try {
          await this.#write(this.#hooks.snapshot());
        } catch (error) {
          this.#rollBack();
          // The reason goes to the server's terminal; the client learns only that it failed
          // (an error message can name files and folders of the server).
          console.error('The chat database could not be written; the change was undone:', error);
          throw new WriteFailed('The change could not be stored, so nothing of it was kept. Try again.');
        }
        this.#hooks.written();
      });
    return this.#next;
  }

  #rollBack(): void {
    this.#generation++;
    this.#next = undefined; // already doomed: later changes start a write of their own
    this.#hooks.rolledBack();
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const temporary = `${this.#path}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.#path);
    // The rename itself is recorded in the folder: sync the folder too.
    const folder = await open(path.dirname(this.#path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}
