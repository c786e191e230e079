/**
 * A disk for lesson 05's `disk` option (journal.ts's `Disk`): the real disk, except that it
 * refuses every write while `failing` is set — as a full disk does, part of the bytes land
 * first, then the write fails with ENOSPC. Used by the lesson 05 grader and by the journal's
 * own recovery tests. Typed by shape only: a grader never imports the learner's code.
 *
 * @module
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export interface FailingDisk {
  failing: boolean;
  openJournal(file: string): Promise<{
    write(buffers: Buffer[], position: number): Promise<void>;
    sync(): Promise<void>;
    truncate(length: number): Promise<void>;
    close(): Promise<void>;
  }>;
}

/** @param landing how many of a refused write's bytes reach the file first (default: half). */
export function failingDisk(landing: (length: number) => number = (length) => Math.ceil(length / 2)): FailingDisk {
  const disk: FailingDisk = {
    failing: false,
    async openJournal(file) {
      const handle = await open(file, constants.O_RDWR | constants.O_CREAT);
      return {
        async write(buffers, position) {
          if (!disk.failing) return void (await handle.writev(buffers, position));
          const bytes = Buffer.concat(buffers);
          await handle.write(bytes, 0, landing(bytes.length), position);
          throw Object.assign(new Error(`ENOSPC: no space left on device, write (a test disk that refuses) ${file}`), { code: 'ENOSPC' });
        },
        sync: () => handle.datasync(),
        truncate: (length) => handle.truncate(length),
        close: () => handle.close(),
      };
    },
  };
  return disk;
}
