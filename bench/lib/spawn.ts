/**
 * A program under test as a process of its own, started with Node and tsx: resolved once a
 * line of its standard output says it is ready (`listening http://…`, `connected …`), with
 * every line it printed kept for later reading.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../shared/paths.ts';

export interface Started {
  readonly child: ChildProcess;
  /** Its standard output so far, line by line; it keeps growing. */
  readonly lines: string[];
  /** The line that said it was ready, matched by `ready`. */
  readonly match: RegExpExecArray;
  /** From spawning the process (Node and tsx start included) to that line. */
  readonly seconds: number;
}

/**
 * Runs `script` (a path) with `args` from the project's folder, until a line of its stdout
 * matches `ready`; a process that has not said so within `withinMs` is killed, and that is a failure.
 */
export function startProcess(script: string, args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env, withinMs = 120_000): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
  // Should this process end first (a failure nobody caught), the program under test ends with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const lines: string[] = [];
  return new Promise<Started>((resolve, reject) => {
    let partial = '';
    let found = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} printed no line matching ${ready} within ${withinMs} ms; its last lines: ${lines.slice(-5).join(' | ') || '(none)'}`));
    }, withinMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      lines.push(...complete);
      const match = found ? undefined : complete.map((line) => ready.exec(line)).find((m): m is RegExpExecArray => m !== null);
      if (!match) return;
      found = true;
      clearTimeout(timer);
      resolve({ child, lines, match, seconds: (performance.now() - started) / 1000 });
    });
    child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`${script} exited (${signal ?? code}) before printing a line matching ${ready}`))));
  });
}

/** Ends the process (SIGKILL unless told otherwise) and resolves once it has exited. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
