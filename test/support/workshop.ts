/** A workshop server for a block of tests (test/unit/workshop-*.test.ts). */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { listen, type Listening } from '../../shared/http.ts';
import { createWorkshop, type Workshop, type WorkshopOptions } from '../../shared/workshop-server.ts';

/** Servers (listening sockets) this process has open. */
export const servers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;

export interface Served {
  workshop: Workshop;
  listening: Listening;
  /** Servers this process had before the workshop listened. */
  serversBefore: number;
}

/**
 * A workshop (the built site, no Vite, nothing logged) on a free port for the tests of the
 * block that calls it, after `prepare`; closed, and `folder` removed, after them.
 */
export function serveWorkshop(options: WorkshopOptions, folder: string, prepare: () => void = () => undefined): Served {
  const served = {} as Served;
  beforeAll(async () => {
    prepare();
    served.workshop = await createWorkshop({ built: true, log: () => undefined, ...options });
    served.serversBefore = servers();
    served.listening = await listen(served.workshop.app, 0);
  }, 60_000);
  afterAll(async () => {
    await served.listening?.close();
    await served.workshop?.close();
    rmSync(folder, { recursive: true, force: true });
  });
  return served;
}
