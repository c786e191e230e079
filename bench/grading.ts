/**
 * Measure 5: how long grading takes — `npm run grade` of every lesson on the reference
 * solutions (one learner), and a batch of copies of them, two at a time (a classroom).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot, workRoot } from '../shared/paths.ts';

export interface GradingResult {
  what: string;
  submissions: number;
  seconds: number;
  /** Points over all submissions, to show the grading really ran and passed. */
  points: number;
  maxPoints: number;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'shared/cli/grade.ts', ...args], { cwd: projectRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`npm run grade -- ${args.join(' ')} exited ${code}`))));
  });
}

async function points(reports: readonly string[]): Promise<{ points: number; maxPoints: number }> {
  let total = { points: 0, maxPoints: 0 };
  for (const report of reports) {
    const { points, maxPoints } = JSON.parse(await readFile(report, 'utf8')) as { points: number; maxPoints: number };
    total = { points: total.points + points, maxPoints: total.maxPoints + maxPoints };
  }
  return total;
}

/** One grading of the solutions (of one lesson when `lesson` is given, as --quick does); with `batch` > 0, also a batch of that many copies. */
export async function measureGrading(batch: number, lesson?: string): Promise<GradingResult[]> {
  const folder = path.join(workRoot, 'bench', 'grading');
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const single = path.join(folder, 'solutions.json');
  const only = lesson === undefined ? [] : ['--lesson', lesson];
  const results: GradingResult[] = [
    { what: `npm run grade -- --target solutions${only.map((arg) => ` ${arg}`).join('')} --format json`, submissions: 1, seconds: await run(['--target', 'solutions', ...only, '--format', 'json', '--out', single]), ...(await points([single])) },
  ];
  if (batch > 0) {
    const submissions = path.join(folder, 'submissions');
    for (let n = 1; n <= batch; n++) await cp(path.join(projectRoot, 'solutions'), path.join(submissions, `learner-${n}`), { recursive: true });
    const out = path.join(folder, 'graded');
    const seconds = await run(['--batch', submissions, '--out', out, '--jobs', '2']);
    const reports = Array.from({ length: batch }, (_, i) => path.join(out, `learner-${i + 1}.json`));
    results.push({ what: `npm run grade -- --batch <${batch} copies of solutions/> --jobs 2`, submissions: batch, seconds, ...(await points(reports)) });
  }
  return results;
}

/** What the failure timelines cost: the same gradings with the recorder on and off, taking turns. */
export interface RecordingCost {
  what: string;
  /** Median wall seconds over the rounds, recorder on / off. */
  on: number;
  off: number;
  rounds: number;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Lessons 01–04 graded on the solutions (every test passes: the recorder runs and its
 * recording is thrown away) and on the starters (every test fails: each keeps and draws its
 * recording), `rounds` times each with COMET_RECORDING on and off, alternating.
 */
export async function measureRecordingCost(rounds: number, lessons: readonly string[] = ['1', '2', '3', '4']): Promise<RecordingCost[]> {
  const named = lessons.map((lesson) => lesson.padStart(2, '0'));
  const results: RecordingCost[] = [];
  for (const target of ['solutions', 'lessons']) {
    const on: number[] = [];
    const off: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [mode, into] of [['on', on], ['off', off]] as const) {
        let seconds = 0;
        for (const lesson of lessons) {
          // One test after another, so that the comparison is not about how the tests share the cores.
          seconds += await run(['--target', target, '--lesson', lesson, '--format', 'json', '--out', path.join(workRoot, 'bench', 'grading', `recording-${mode}.json`)], { ...process.env, COMET_RECORDING: mode, GRADE_PARALLEL: '1' });
        }
        into.push(seconds);
      }
    }
    const which = named.length === 1 ? `lesson ${named[0]}` : `lessons ${named[0]}–${named.at(-1)} one after another`;
    results.push({ what: `npm run grade -- --target ${target} --lesson N, ${which}`, on: median(on), off: median(off), rounds });
  }
  return results;
}
