/**
 * Every program a lesson starts as a process (a relay, an agent, a scale-out app) prints
 * `listening <url>` once it accepts connections. The graders and the workshop's scale-out demo
 * wait for that line, never for a fixed time.
 */
import type { ChildProcess } from 'node:child_process';
import { describeError } from './grading/failure.ts';

export interface Listened {
  /** The url from the line; undefined when the process exited, failed to start, or stayed silent for the whole wait. */
  readonly url: string | undefined;
  /** What it printed until then, stdout and stderr, for the message that says why it did not start. */
  readonly output: string;
}

/** Waits at most `withinMs` for `child`'s `listening http://…` line. Its output is read on afterwards (and dropped) unless the caller listens. */
export function awaitListening(child: ChildProcess, withinMs: number): Promise<Listened> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const settle = (url: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout!.off('data', fromStdout);
      child.stderr!.off('data', fromStderr);
      resolve({ url, output });
    };
    const fromStdout = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) settle(match[1]);
    };
    const fromStderr = (chunk: Buffer): void => void (output += chunk.toString());
    const timer = setTimeout(() => settle(undefined), withinMs);
    child.stdout!.on('data', fromStdout);
    child.stderr!.on('data', fromStderr);
    child.once('exit', () => settle(undefined));
    child.once('error', (error) => {
      output += `\n${describeError(error)}`;
      settle(undefined);
    });
  });
}
