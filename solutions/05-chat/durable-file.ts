/**
 * Writing the database file so that an acknowledged change survives a crash.
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
 * @module
 */
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

export class DurableFile {
  readonly #path: string;
  readonly #snapshot: () => Uint8Array;
  readonly #delayMs: number;
  /** The write that is running or queued last; the next one starts after it. */
  #last: Promise<void> = Promise.resolve();
  /** The next write, not started yet: commits asked for now join it. */
  #next: Promise<void> | undefined;

  /**
   * @param snapshot returns the bytes to write (the database's `export()`), called when the write starts.
   * @param delayMs waits this long before each write, so that more changes can join it.
   */
  constructor(file: string, snapshot: () => Uint8Array, delayMs = 0) {
    this.#path = file;
    this.#snapshot = snapshot;
    this.#delayMs = delayMs;
  }

  /** Resolves once every change made before this call is on disk. */
  commit(): Promise<void> {
    this.#next ??= this.#last = this.#last
      .catch(() => undefined)
      .then(() => (this.#delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.#delayMs)) : undefined))
      .then(() => {
        this.#next = undefined; // from here on, new changes wait for the write after this one
        return this.#write(this.#snapshot());
      });
    return this.#next;
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
