/**
 * A V8 CPU profile of part of a server's life (the warm broadcasts), through node:inspector,
 * written to .workshop/bench/profiles/ for Chrome DevTools or speedscope.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { workRoot } from '../../shared/paths.ts';

const session = new Session();

export const profiler = {
  async start(): Promise<void> {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  },
  /** Stops profiling and returns the file written. */
  async stop(name: string): Promise<string> {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const folder = path.join(workRoot, 'bench', 'profiles');
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, `${name}-${process.pid}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    return file;
  },
};
