/**
 * Lesson code as a process of its own, for what only a real process shows: an
 * acknowledged write surviving SIGKILL. The process is started with tsx, must print
 * `listening <url>` when it accepts connections, and is killed when the test ends.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { awaitListening } from '../listening.ts';
import { projectRoot } from '../paths.ts';
import { fail } from './failure.ts';
import type { TestContext } from './types.ts';

/** A fresh temporary folder, removed when the test ends. */
export async function temporaryFolder(ctx: TestContext): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'comet-grader-'));
  ctx.defer(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

export interface LessonProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Kills the process with `signal` and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `file` of the lesson folder with `args` and waits (at most `withinMs`) for its
 * `listening <url>` line; fails the test with the process's output if it does not come.
 */
export async function startLessonProcess(ctx: TestContext, file: string, args: string[], withinMs = 15_000): Promise<LessonProcess> {
  ctx.step(`starting ${file} ${args.join(' ')} as a process`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ctx.lessonDir, file), ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  ctx.defer(() => kill());
  const { url, output } = await awaitListening(child, withinMs);
  if (!url) {
    fail({
      expected: `${file} to print "listening http://127.0.0.1:<port>" once it accepts connections`,
      actual: `${child.exitCode !== null ? `it exited with code ${child.exitCode}` : `nothing within ${withinMs} ms`}; its output:\n${output.trim().slice(-800)}`,
      look: `${file}: it is given with the lesson; restore it if you changed it, and check that server.ts loads.`,
    });
  }
  return { url, child, kill };
}
