/**
 * Classroom grading is product too: submissions that hang, crash at import, exit, or never
 * produce their app are graded in bounded time with a message saying what happened; the
 * Gradescope and Exercism reports have the fields their specifications list; and a batch of
 * submissions yields the right gradebook, flagging one that imports the reference solution.
 * All on lesson 01, to stay quick.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradescopeZip } from '../../shared/classroom/gradescope.ts';
import { generateWorkflow, runnerOf } from '../../shared/classroom/workflow.ts';
import { gradersOf, toExercism, toGradescope, toJson, toJunit, toText, type GradeRun } from '../../shared/grading/formats.ts';
import type { Style } from '../../shared/grading/report.ts';
import { gradeSubmission } from '../../shared/grading/submission.ts';
import { lessonTasks, taskCount, taskOf } from '../../shared/grading/tasks.ts';
import { findLessons, stageMutant, targetRoot } from '../../shared/grading/targets.ts';
import { loadGrader, loadMutants } from '../../shared/grading/graders.ts';
import { testText, translator } from '../../shared/i18n/index.ts';
import { findLesson, lessons } from '../../shared/manifest.ts';
import { lessonsRoot, projectRoot, solutionsRoot, workRoot } from '../../shared/paths.ts';

const lesson = findLesson(1)!;
const testCount = (await loadGrader(lesson.slug)).tests.length;
const fakes = path.join(workRoot, 'fakes');
const plain: Style = { bold: String, dim: String, green: String, red: String };
const createAppLine = 'export function createApp(): express.Express {\n';

/** A copy of the lesson 01 solution as submission `name`, with `edit` applied to server.ts or client.ts. */
function fake(name: string, file: 'server.ts' | 'client.ts', edit: (source: string) => string): string {
  const root = path.join(fakes, name);
  const folder = path.join(root, lesson.slug);
  rmSync(root, { recursive: true, force: true });
  cpSync(path.join(solutionsRoot, lesson.slug), folder, { recursive: true });
  const target = path.join(folder, file);
  writeFileSync(target, edit(readFileSync(target, 'utf8')));
  return root;
}

const insideCreateApp = (code: string) => (source: string) => source.replace(createAppLine, `${createAppLine}  ${code}\n`);

/** Every result of a run, with the failed ones' messages. */
const failures = (run: GradeRun) => run.reports.flatMap((r) => r.results).filter((r) => r.status === 'failed');

describe.concurrent('grading bad submissions stays bounded and says what happened', () => {
  it('a server that never gives control back (an endless loop in createApp)', async () => {
    const started = performance.now();
    const run = await gradeSubmission(fake('hanging', 'server.ts', insideCreateApp('while (Date.now() > 0) {}')), [lesson]);
    const seconds = (performance.now() - started) / 1000;
    expect(failures(run).length).toBe(run.reports[0]!.results.length);
    expect(failures(run)[0]!.message).toContain('did not give control back');
    expect(failures(run).at(-1)!.message).toContain('counted as failed');
    expect(seconds, 'two watchdog limits and process starts, not one limit per test').toBeLessThan(40);
  });

  it('a server that throws when it is imported', async () => {
    const run = await gradeSubmission(fake('crashing', 'server.ts', (s) => `throw new Error('boom at import');\n${s}`), [lesson]);
    const serverTests = run.reports[0]!.results.filter((r) => r.title.startsWith('server:'));
    expect(serverTests.every((r) => r.status === 'failed' && r.message?.includes('Could not load server.ts') && r.message.includes('boom at import'))).toBe(true);
    expect(run.reports[0]!.results.filter((r) => r.title.startsWith('client:')).every((r) => r.status === 'passed'), 'the client, untouched, still passes').toBe(true);
  });

  it('a server that calls process.exit()', async () => {
    const run = await gradeSubmission(fake('exiting', 'server.ts', insideCreateApp('process.exit(3);')), [lesson]);
    const serverTests = run.reports[0]!.results.filter((r) => r.title.startsWith('server:'));
    expect(serverTests.every((r) => r.status === 'failed' && r.message?.includes('exit code 3') && r.message.includes('process.exit()'))).toBe(true);
    expect(run.reports[0]!.results.filter((r) => r.title.startsWith('client:')).every((r) => r.status === 'passed')).toBe(true);
  });

  it("a server whose handler throws: the failure shows the real error and its stack, not only the 500", async () => {
    const run = await gradeSubmission(fake('throwing', 'server.ts', (s) => s.replace('    messages.push(message);\n', "    throw new Error('boom in the handler');\n")), [lesson]);
    const posting = run.reports[0]!.results.find((r) => r.id === 'post-stores')!;
    expect(posting.status).toBe('failed');
    expect(posting.message).toContain('The server failed.');
    expect(posting.message).toContain('Your code logged this while the test ran');
    expect(posting.message).toContain('boom in the handler');
    expect(posting.message).toMatch(/server\.ts:\d+/);
  });

  it('a server that never produces its app (createApp never returns one)', async () => {
    const run = await gradeSubmission(fake('never-listening', 'server.ts', insideCreateApp('return new Promise(() => undefined) as never;')), [lesson]);
    const serverTests = run.reports[0]!.results.filter((r) => r.title.startsWith('server:'));
    expect(serverTests.every((r) => r.status === 'failed' && r.message?.includes('building the app with createApp() from server.ts'))).toBe(true);
  });
});

describe('reports for grading platforms', () => {
  let run: GradeRun;
  beforeAll(async () => {
    run = await gradeSubmission('lessons', [lesson]);
  });

  it('Gradescope results.json has the fields of its specification', () => {
    const report = toGradescope(run) as Record<string, unknown>;
    expect(typeof report.score).toBe('number');
    expect(typeof report.execution_time).toBe('number');
    expect(typeof report.output).toBe('string');
    const tests = report.tests as Array<Record<string, unknown>>;
    expect(tests).toHaveLength(run.reports[0]!.results.length);
    for (const test of tests) {
      expect(typeof test.name).toBe('string');
      expect(typeof test.score).toBe('number');
      expect(typeof test.max_score).toBe('number');
      expect(['passed', 'failed']).toContain(test.status);
      expect(typeof test.output).toBe('string');
      expect(['hidden', 'after_due_date', 'after_published', 'visible']).toContain(test.visibility);
    }
    expect(report.score).toBe(tests.reduce((sum, t) => sum + (t.score as number), 0));
  });

  it('Exercism results.json (version 3) has the fields of its specification', async () => {
    const report = toExercism(run, await gradersOf(run)) as Record<string, unknown>;
    expect(report.version).toBe(3);
    expect(report.status).toBe('fail');
    for (const test of report.tests as Array<Record<string, unknown>>) {
      expect(typeof test.name).toBe('string');
      expect(['pass', 'fail', 'error']).toContain(test.status);
      if (test.status !== 'pass') expect(typeof test.message).toBe('string');
      expect(typeof test.test_code).toBe('string');
      expect(Number.isInteger(test.task_id) && (test.task_id as number) > 0).toBe(true);
    }
  });

  it("Exercism test_code is the grader test's real code, and task_id the lesson's task it checks", async () => {
    const grader = await loadGrader(lesson.slug);
    const tests = (toExercism(run, await gradersOf(run)) as { tests: Array<{ test_code: string; task_id: number }> }).tests;
    for (const [index, test] of grader.tests.entries()) {
      const shown = tests[index]!;
      expect(shown.test_code).toContain(`id: '${test.id}'`);
      expect(shown.test_code).toContain('async run(ctx)');
      expect(shown.test_code).not.toBe(`${lesson.slug}: ${test.id} — ${test.title}`);
      // Lesson 01's tasks are its TODOs 1–8 (its text lists them): the first TODO a test's "look" names.
      expect(shown.task_id).toBe(Number(/TODOs? (\d+)/.exec(test.look)![1]));
    }
    expect(new Set(tests.map((t) => t.task_id)).size, 'the tests spread over the tasks, not all on one').toBeGreaterThan(4);
  });

  it("platform reports follow the report language (the teacher's LANG / LC_ALL, or gradescope-zip --report): their own sentences, the graders catalog's test titles, each failure's message", () => {
    const zh = translator('zh-CN');
    const gradescope = toGradescope(run, 'hidden', zh) as { output: string; visibility: string; tests: Array<{ name: string; visibility: string }> };
    expect(gradescope.output).toMatch(/^得分：\d+ \/ \d+。/);
    expect(gradescope.visibility).toBe('hidden');
    expect(gradescope.tests.every((t) => t.visibility === 'hidden')).toBe(true);
    const result = run.reports[0]!.results[0]!;
    const expected = testText(zh, lesson.slug, { id: result.id, title: result.title, look: '' }, 'title');
    expect(gradescope.tests[0]!.name).toBe(`${lesson.slug} › ${expected}`);
    expect((toGradescope(run) as { output: string }).output).toMatch(/^\d+ of \d+ points\./);
    // The starter fails: each failure's message is worded in Chinese too, labels and sentences.
    const failed = run.reports[0]!.results.findIndex((r) => r.status === 'failed');
    const output = (gradescope.tests[failed] as unknown as { output: string }).output;
    expect(output.split('\n')[0], `the failure's first line in Chinese (shared/grading/failure-text.ts):\n${output}`).toMatch(/^预期：.*[\u4e00-\u9fff]/);
    expect(output, 'no English label left').not.toMatch(/^(Expected|Got|Look at):/m);
    expect(output).toMatch(/^检查：.*[\u4e00-\u9fff]/m);
    // The points table (grade's text report, Classroom's report.txt) too, closed by the English machine line.
    const table = toText(run, plain, zh).trimEnd().split('\n');
    expect(table[0], 'the header in Chinese').toMatch(/^课程\s+得分\s+测试$/);
    expect(table.join('\n')).toContain(`✘ ${expected}`);
    expect(table.at(-2), 'the total, in Chinese').toMatch(/^合计\s+\d+\/\d+\s+通过 \d+ 项，失败 \d+ 项$/);
    expect(table.at(-1), 'the last line: the English machine line').toMatch(/^\d+ passed, \d+ failed$/);
  });

  it('Exercism status "error" with a message when no test could run (the code does not load)', () => {
    const broken: GradeRun = {
      durationMs: 1,
      flags: [],
      reports: [{ lesson: lesson.slug, lessonDir: '', results: [{ id: 'x', title: 'server: x', points: 1, status: 'failed', message: 'Could not load server.ts: SyntaxError', durationMs: 0 }], leftOut: [] }],
    };
    expect(toExercism(broken)).toEqual({ version: 3, status: 'error', message: 'Could not load server.ts: SyntaxError' });
  });
});

describe('a test this machine cannot run', () => {
  const run: GradeRun = {
    durationMs: 1,
    flags: [],
    reports: [{ lesson: '07-relay', lessonDir: '', results: [{ id: 'a', title: 'relay: a', points: 1, status: 'passed', durationMs: 1 }], leftOut: [{ id: 'firewall-namespace', why: 'not running as root' }] }],
  };

  it('is shown as left out, with why, in every report, and never counted as a point', () => {
    expect(toText(run, plain)).toContain('1 passed, 0 failed, 1 left out on this machine');
    expect(toText(run, plain)).toContain('left out: firewall-namespace: not running as root');
    const gradescope = toGradescope(run) as { score: number; output: string; tests: unknown[] };
    expect(gradescope.score).toBe(1);
    expect(gradescope.tests).toHaveLength(1);
    expect(gradescope.output).toContain('07-relay › firewall-namespace: not running as root');
    expect(toJson(run)).toMatchObject({ points: 1, maxPoints: 1, lessons: [{ leftOut: [{ id: 'firewall-namespace' }] }] });
  });
});

describe('JUnit XML', () => {
  it('one <testsuite> per lesson, one <testcase> per grader test with its real time, failures with their messages', () => {
    const two: GradeRun = {
      durationMs: 4321,
      flags: [],
      reports: [
        { lesson: '01-naive-polling', lessonDir: '', durationMs: 1500, results: [{ id: 'a', title: 'server: a <b> & "c"', points: 1, status: 'passed', durationMs: 1234 }], leftOut: [] },
        {
          lesson: '03-timeouts',
          lessonDir: '',
          durationMs: 2800,
          results: [
            { id: 'b', title: 'client: b', points: 1, status: 'failed', message: 'Expected: x\nGot:      y\nLook at:  z', durationMs: 1006 },
            { id: 'c', title: 'client: c', points: 1, status: 'passed', durationMs: 7 },
          ],
          leftOut: [{ id: 'd', why: 'not running as root' }],
        },
      ],
    };
    const xml = toJunit(two);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml).toMatch(/<testsuite name="01-naive-polling" tests="1" failures="0" errors="0" skipped="0" time="1.500"/);
    expect(xml).toMatch(/<testsuite name="03-timeouts" tests="3" failures="1" errors="0" skipped="1" time="2.800"/);
    expect(xml).toContain('name="server: a &lt;b&gt; &amp; &quot;c&quot;" time="1.234"');
    expect(xml).toContain('name="client: b" time="1.006"');
    expect(xml).toContain('<failure message="Expected: x" type="AssertionError">Expected: x\nGot:      y\nLook at:  z</failure>');
    expect(xml).toContain('<skipped message="left out on this machine: not running as root"/>');
    expect(xml).toMatch(/<testsuites [^>]*tests="4" failures="1" errors="0" skipped="1" time="4.321"/);
  });

  it('`grade --format junit` writes it for a real grading, times measured', () => {
    const out = path.join(fakes, 'junit-starter.xml');
    execFileSync('npx', ['tsx', 'shared/cli/grade.ts', '--lesson', '1', '--format', 'junit', '--out', out], { cwd: projectRoot, stdio: 'pipe' });
    const xml = readFileSync(out, 'utf8');
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml).toMatch(new RegExp(`<testsuite name="${lesson.slug}" tests="${testCount}" failures="${testCount}"`));
    expect(xml.match(/<testcase /g)).toHaveLength(testCount);
    expect(xml).toContain('Look at:');
    const times = [...xml.matchAll(/<testcase [^>]*time="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(times.some((t) => t > 0), 'not every test took 0 s: the times are the tests\' own').toBe(true);
  });
});

describe('what is graded: --target and --batch', () => {
  const grade = (...args: string[]) => spawnSync('npx', ['tsx', 'shared/cli/grade.ts', ...args], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, LANG: 'C', LC_ALL: '' } });

  it('--target with a folder that does not exist fails loudly, with a non-zero exit, and grades nothing', () => {
    const missing = path.join(fakes, 'no-such-folder');
    const result = grade('--target', missing, '--lesson', '1', '--format', 'gradescope');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`there is no folder ${missing}`);
    expect(result.stdout).toBe('');
    expect(grade('--target', missing, '--lesson', '1', '--format', 'junit', '--out', path.join(fakes, 'never.xml')).status).toBe(2);
  });

  it('--batch with a folder that does not exist fails loudly, with a non-zero exit', () => {
    const result = grade('--batch', path.join(fakes, 'no-such-batch'), '--lesson', '1');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('there is no such folder');
  });

  it('finds lessons/ in a whole repository, and one folder down (Gradescope: /autograder/submission/<repo>/lessons)', () => {
    const root = path.join(fakes, 'layouts');
    rmSync(root, { recursive: true, force: true });
    const layouts = {
      flat: 'flat',
      single: 'single',
      repo: 'repo/lessons',
      nested: 'nested/comet-workshop-ana/lessons',
      empty: 'empty',
    };
    for (const where of ['flat/01-naive-polling', 'repo/lessons/01-naive-polling', 'repo/solutions/01-naive-polling', 'nested/comet-workshop-ana/lessons/01-naive-polling', 'nested/comet-workshop-ana/solutions/01-naive-polling', 'nested/__MACOSX', 'empty/notes']) {
      mkdirSync(path.join(root, where), { recursive: true });
    }
    cpSync(path.join(solutionsRoot, lesson.slug), path.join(root, 'single'), { recursive: true });
    expect(findLessons(path.join(root, 'flat'))).toBe(path.join(root, layouts.flat));
    expect(findLessons(path.join(root, 'single'))).toBe(path.join(root, layouts.single));
    expect(findLessons(path.join(root, 'repo'))).toBe(path.join(root, layouts.repo));
    expect(findLessons(path.join(root, 'nested'))).toBe(path.join(root, layouts.nested));
    expect(findLessons(path.join(root, 'empty'))).toBe(path.join(root, layouts.empty));
    expect(targetRoot(path.join(root, 'nested'))).toBe(path.join(root, layouts.nested));
  });

  it('a submission holding a whole repository is graded without a flag: full points for a correct one', async () => {
    const submission = path.join(fakes, 'repo-submission');
    rmSync(submission, { recursive: true, force: true });
    cpSync(path.join(solutionsRoot, lesson.slug), path.join(submission, 'comet-workshop-ana', 'lessons', lesson.slug), { recursive: true });
    cpSync(path.join(lessonsRoot, lesson.slug), path.join(submission, 'comet-workshop-ana', 'solutions', lesson.slug), { recursive: true });
    writeFileSync(path.join(submission, 'comet-workshop-ana', 'package.json'), '{}\n');
    const run = await gradeSubmission(submission, [lesson]);
    expect(failures(run)).toEqual([]);
    expect(run.reports[0]!.results).toHaveLength(testCount);
  });
});

describe("lesson 03's starter is graded well within Exercism's 20 s", () => {
  it('its tests (each waiting out a limit for an answer the starter never gives) run side by side, results in the grader\'s order', async () => {
    const l3 = findLesson(3)!;
    const grader = await loadGrader(l3.slug);
    const started = performance.now();
    const run = await gradeSubmission('lessons', [l3], undefined, { parallel: 3 });
    const wall = performance.now() - started;
    const results = run.reports[0]!.results;
    expect(results.map((r) => r.id)).toEqual(grader.tests.map((t) => t.id));
    expect(results.every((r) => r.status === 'failed')).toBe(true);
    const sequential = results.reduce((sum, r) => sum + r.durationMs, 0);
    expect(wall, `${Math.round(wall)} ms for tests that took ${sequential} ms one after another`).toBeLessThan(sequential * 0.8);
  });
});

/** A createApp() that throws the first time it is called, and never again (the flag file says it was). */
const firstCallFails = (flag: string): ((source: string) => string) =>
  insideCreateApp(
    `const fs = process.getBuiltinModule('node:fs'); try { fs.writeFileSync(${JSON.stringify(flag)}, '', { flag: 'wx' }); throw new Error('the first createApp() fails'); } catch (error) { if ((error as { code?: string }).code !== 'EEXIST') throw error; }`,
  );

describe('a failure seen while tests ran side by side is confirmed alone', () => {
  it('a server whose first createApp() ever fails (as a starved test would) still scores full marks in parallel, and loses that point one after another', async () => {
    const flag = path.join(fakes, 'first-call-flag');
    const submission = fake('first-call-fails', 'server.ts', firstCallFails(flag));
    rmSync(flag, { force: true });
    const parallel = await gradeSubmission(submission, [lesson], undefined, { parallel: 3 });
    expect(failures(parallel).map((r) => r.id)).toEqual([]);
    rmSync(flag, { force: true });
    const alone = await gradeSubmission(submission, [lesson], undefined, { parallel: 1 });
    expect(failures(alone), 'the fake does fail once: without the confirmation it would lose a point').toHaveLength(1);
  });

  it('a half-done lesson (more failures of its own than the three always confirmed) loses only its own in parallel: the starved test among them is confirmed alone too', async () => {
    const flag = path.join(fakes, 'first-call-flag-half-done');
    const submission = fake('half-done-first-call-fails', 'server.ts', firstCallFails(flag));
    // Its own mistake, in the client (whose tests never call createApp): it polls once and never again.
    const client = path.join(submission, lesson.slug, 'client.ts');
    const schedule = '    if (!stopped) timer = setTimeout(pollOnce, intervalMs);\n';
    expect(readFileSync(client, 'utf8'), 'the solution schedules its next poll so').toContain(schedule);
    writeFileSync(client, readFileSync(client, 'utf8').replace(schedule, ''));
    writeFileSync(flag, ''); // no first-call failure: only its own
    const own = failures(await gradeSubmission(submission, [lesson], undefined, { parallel: 1 })).map((r) => r.id);
    expect(own.length, `its own failures (${own.join(', ')}) should be more than the three always run again`).toBeGreaterThan(3);
    rmSync(flag, { force: true });
    const parallel = await gradeSubmission(submission, [lesson], undefined, { parallel: 3 });
    expect(failures(parallel).map((r) => r.id).sort(), 'in parallel, with one starved server test: its own failures, no more (shared/grading/runner.ts confirmFailuresAlone)').toEqual([...own].sort());
    // Run again shortest first, every result still lands on its own test, in the grader's order.
    const graderOrder = (await loadGrader(lesson.slug)).tests.map((t) => t.id);
    expect(parallel.reports[0]!.results.map((r) => r.id), 'the results in the grader’s order, each under its own test (runner.ts and worker.ts file them by position)').toEqual(graderOrder);
  });
});

describe("Exercism's test-runner interface", () => {
  it('run.sh <slug> <solution folder> <output folder> writes results.json (version 3) for that lesson', () => {
    const out = path.join(fakes, 'exercism-out');
    rmSync(out, { recursive: true, force: true });
    execFileSync('bash', [path.join(projectRoot, 'shared/classroom/exercism/run.sh'), lesson.slug.slice(3), path.join(solutionsRoot, lesson.slug), out], { stdio: 'pipe' });
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as { version: number; status: string; tests: Array<{ status: string; test_code: string; task_id: number }> };
    expect(results.version).toBe(3);
    expect(results.status).toBe('pass');
    expect(results.tests).toHaveLength(testCount);
    expect(results.tests.every((t) => t.test_code.includes('async run(ctx)') && t.task_id >= 1)).toBe(true);
  });
});

describe("each lesson's tasks (Exercism's task_id)", () => {
  it("agree with the starters' TODOs: each file's TODO numbers are the table's, and every task has a test", async () => {
    for (const l of lessons) {
      const tasks = lessonTasks[l.slug];
      expect(tasks, `${l.slug} in shared/grading/tasks.ts`).toBeDefined();
      for (const { file, todos } of tasks!.files) {
        const found = [...readFileSync(path.join(lessonsRoot, l.slug, file), 'utf8').matchAll(/\bTODO (\d+)/g)].map((m) => Number(m[1]));
        expect(Math.min(...found), `${l.slug}/${file}: first TODO`).toBe(todos[0]);
        expect(Math.max(...found), `${l.slug}/${file}: last TODO`).toBe(todos[1]);
      }
      const text = readFileSync(path.join(lessonsRoot, l.slug, 'README.md'), 'utf8');
      const yourTask = text.slice(text.indexOf('## Your task'), text.indexOf('## Check your work'));
      for (const { file } of tasks!.files) expect(yourTask, `${l.slug}: the text's task names ${file}`).toContain(file);
      const grader = await loadGrader(l.slug);
      const mapped = grader.tests.map((test) => taskOf(l.slug, test));
      for (const task of mapped) if (task !== undefined) expect(task >= 1 && task <= taskCount(l.slug)).toBe(true);
      if (tasks!.by === 'file' && grader.tests.length > 0) {
        expect(new Set(mapped.filter((t) => t !== undefined)).size, `${l.slug}: every file task has a test`).toBe(tasks!.files.length);
      }
    }
  });
});

describe('the Gradescope recipe', () => {
  it('run_autograder grades a whole repository inside /autograder/submission and writes results/results.json with the visibility asked for', () => {
    // Outside the project: a symlink back to the project inside it would be a loop for any
    // tool that walks the project (the workshop's file watcher once did, in CI).
    const root = mkdtempSync(path.join(os.tmpdir(), 'comet-autograder-'));
    symlinkSync(projectRoot, path.join(root, 'source'));
    cpSync(path.join(solutionsRoot, lesson.slug), path.join(root, 'submission', 'comet-workshop-ana', 'lessons', lesson.slug), { recursive: true });
    let text: string;
    try {
      execFileSync('bash', [path.join(projectRoot, 'shared/classroom/gradescope/run_autograder')], {
        env: { ...process.env, AUTOGRADER_ROOT: root, GRADE_LESSON: '1', GRADESCOPE_VISIBILITY: 'after_published' },
        stdio: 'pipe',
      });
      text = readFileSync(path.join(root, 'results', 'results.json'), 'utf8');
    } finally {
      unlinkSync(path.join(root, 'source')); // the link only, before the folder goes
      rmSync(root, { recursive: true, force: true });
    }
    const results = JSON.parse(text) as { score: number; visibility: string; tests: Array<{ visibility: string }> };
    expect(results.score).toBe(testCount);
    expect(results.tests).toHaveLength(testCount);
    expect(results.visibility).toBe('after_published');
    expect(results.tests.every((t) => t.visibility === 'after_published')).toBe(true);
  });

  it('setup.sh installs Node 20 where there is none (NodeSource, else the official tarball) and honours AUTOGRADER_ROOT', () => {
    const setup = readFileSync(path.join(projectRoot, 'shared/classroom/gradescope/setup.sh'), 'utf8');
    expect(setup).toContain('https://deb.nodesource.com/setup_20.x');
    expect(setup).toContain('https://nodejs.org/dist/latest-v20.x');
    expect(setup).toContain('root="${AUTOGRADER_ROOT:-/autograder}"');
    expect(setup).toContain('cd "$root/source"');
    expect(setup).not.toMatch(/cd \/autograder/);
    expect(spawnSync('bash', ['-n', path.join(projectRoot, 'shared/classroom/gradescope/setup.sh')]).status).toBe(0);
  });

  it('the autograder zip has setup.sh and run_autograder at its root (executable), the settings, and what grading needs', () => {
    const archive = gradescopeZip({ visibility: 'hidden', lesson });
    const entries = readZip(archive);
    expect(entries.get('setup.sh')?.mode).toBe(0o755);
    expect(entries.get('run_autograder')?.mode).toBe(0o755);
    expect(entries.get('run_autograder')?.text).toBe(readFileSync(path.join(projectRoot, 'shared/classroom/gradescope/run_autograder'), 'utf8'));
    expect(entries.get('gradescope.env')?.text).toContain('GRADESCOPE_VISIBILITY=hidden\nGRADE_LESSON=1\n');
    for (const needed of ['package.json', 'package-lock.json', 'shared/cli/grade.ts', 'shared/grading/runner.ts', `test/graders/${lesson.slug}.ts`, 'solutions/04-resume/client.ts']) {
      expect(entries.has(needed), needed).toBe(true);
    }
    expect([...entries.keys()].filter((name) => /(^|\/)(node_modules|\.workshop|lessons)\//.test(name))).toEqual([]);
  });
});

/** The entries of a zip archive (central directory), inflated: enough to check what gradescopeZip wrote. */
function readZip(archive: Buffer): Map<string, { mode: number; text: string }> {
  const entries = new Map<string, { mode: number; text: string }>();
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = archive.readUInt32LE(end + 16);
  for (let i = 0; i < archive.readUInt16LE(end + 10); i++) {
    const nameLength = archive.readUInt16LE(at + 28);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const mode = (archive.readUInt32LE(at + 38) >>> 16) & 0o777;
    const local = archive.readUInt32LE(at + 42);
    const packed = archive.readUInt32LE(at + 20);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    entries.set(name, { mode, text: inflateRawSync(archive.subarray(start, start + packed)).toString('utf8') });
    at += 46 + nameLength + archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
  }
  return entries;
}

describe('GitHub Classroom', () => {
  it("the teacher's guide states the tests there are: one point each", async () => {
    const counted = (await Promise.all(lessons.map(async (l) => { const grader = await loadGrader(l.slug); return grader.tests.length + (grader.leftOut ?? []).length; }))).reduce((a, b) => a + b, 0);
    const guide = readFileSync(path.join(projectRoot, 'docs', 'teaching.md'), 'utf8');
    expect(/\((\d+) tests over the (\d+) lessons today\)/.exec(guide)?.slice(1).map(Number), 'docs/teaching.md: "(N tests over the M lessons today)"').toEqual([counted, lessons.length]);
  });

  it('the committed workflow is the one generated from the manifest and the graders (npm run classroom -- workflow)', async () => {
    const committed = readFileSync(path.join(projectRoot, 'shared/classroom/github-classroom.yml'), 'utf8');
    expect(committed, 'run `npm run classroom -- workflow` and commit shared/classroom/github-classroom.yml').toBe(await generateWorkflow());
    for (const l of lessons) {
      const grader = await loadGrader(l.slug);
      const count = grader.tests.length + (grader.leftOut ?? []).length;
      expect(committed).toMatch(new RegExp(`#   ${runnerOf(l)}  ${l.slug} +${count} tests +${count} points`));
      expect(committed).toContain(`${runnerOf(l).toUpperCase()}_RESULTS: "\${{ steps.grade.outputs.${runnerOf(l)} }}"`);
    }
    expect(committed).toContain(`runners: ${lessons.map(runnerOf).join(',')}`);
  });

  it("the grading step gives partial credit test by test: a submission with one mistake scores all but that test's point", async () => {
    const submission = path.join(fakes, 'classroom-one-mistake');
    rmSync(submission, { recursive: true, force: true });
    const mutant = (await loadMutants(lesson.slug)).find((m) => m.id === 'client-redelivers')!;
    cpSync(stageMutant(lesson, mutant), path.join(submission, lesson.slug), { recursive: true });
    const out = path.join(fakes, 'classroom-grading');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const outputs = path.join(out, 'github-output');
    const summary = path.join(out, 'step-summary.md');
    execFileSync('npx', ['tsx', 'shared/classroom/classroom.ts', 'github-step', '--target', submission, '--lesson', '1', '--out', out], {
      cwd: projectRoot,
      stdio: 'pipe',
      env: { ...process.env, GITHUB_OUTPUT: outputs, GITHUB_STEP_SUMMARY: summary, LANG: 'C', LC_ALL: '' },
    });
    const line = readFileSync(outputs, 'utf8').trim();
    expect(line.startsWith(`${runnerOf(lesson)}=`)).toBe(true);
    const result = JSON.parse(Buffer.from(line.slice(line.indexOf('=') + 1), 'base64').toString('utf8')) as { status: string; max_score: number; tests: Array<{ name: string; status: string; score: number }> };
    expect(result.max_score).toBe(testCount);
    expect(result.status).toBe('fail');
    expect(result.tests.reduce((sum, t) => sum + t.score, 0)).toBe(testCount - 1);
    expect(result.tests.filter((t) => t.status === 'fail')).toHaveLength(1);
    expect(readFileSync(summary, 'utf8')).toContain(`Autograding: ${testCount - 1} of ${testCount} points`);
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toMatch(new RegExp(`<testsuite name="${lesson.slug}" tests="${testCount}" failures="1"`));
  });
});

describe('batch grading', () => {
  it('five submissions give the right gradebook, and the cheating one is flagged', async () => {
    const batch = path.join(fakes, 'batch');
    rmSync(batch, { recursive: true, force: true });
    mkdirSync(batch, { recursive: true });
    cpSync(path.join(solutionsRoot, lesson.slug), path.join(batch, 'ana', lesson.slug), { recursive: true });
    cpSync(path.join(lessonsRoot, lesson.slug), path.join(batch, 'ben', lesson.slug), { recursive: true });
    const mutant = (await loadMutants(lesson.slug)).find((m) => m.id === 'client-redelivers')!;
    cpSync(stageMutant(lesson, mutant), path.join(batch, 'cy', lesson.slug), { recursive: true });
    cpSync(path.join(fake('hanging-batch', 'server.ts', insideCreateApp('while (Date.now() > 0) {}')), lesson.slug), path.join(batch, 'dee', lesson.slug), { recursive: true });
    cpSync(path.join(solutionsRoot, lesson.slug), path.join(batch, 'eve', lesson.slug), { recursive: true });
    writeFileSync(path.join(batch, 'eve', lesson.slug, 'client.ts'), `export { startPolling } from '../../../../../solutions/${lesson.slug}/client.ts';\n`);

    const out = path.join(fakes, 'batch-graded');
    rmSync(out, { recursive: true, force: true });
    execFileSync('npx', ['tsx', 'shared/cli/grade.ts', '--batch', batch, '--lesson', '1', '--out', out, '--jobs', '3'], { cwd: projectRoot, stdio: 'pipe' });
    const rows = readFileSync(path.join(out, 'gradebook.csv'), 'utf8').trim().split('\n').map((line) => line.split(','));
    expect(rows[0]).toEqual(['submission', lesson.slug, 'points', 'max_points', 'flags']);
    const points = Object.fromEntries(rows.slice(1).map((row) => [row[0], `${row[2]}/${row[3]}`]));
    const of = (n: number) => `${n}/${testCount}`;
    expect(points).toEqual({ ana: of(testCount), ben: of(0), cy: of(testCount - 1), dee: of(0), eve: of(testCount) });
    const flags = Object.fromEntries(rows.slice(1).map((row) => [row[0], row.slice(4).join(',')]));
    expect(flags.eve).toContain('client.ts imports');
    expect(flags.eve).toContain('must not use the reference solutions');
    expect(Object.entries(flags).filter(([name, flag]) => name !== 'eve' && flag !== '')).toEqual([]);
    const eve = JSON.parse(readFileSync(path.join(out, 'eve.json'), 'utf8')) as { flags: string[] };
    expect(eve.flags).toHaveLength(1);
  });
});
