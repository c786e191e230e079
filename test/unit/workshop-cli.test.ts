/**
 * The learner's CLIs as a learner runs them, each a child process: help and wrong arguments
 * (every CLI: usage and exit 0; one line, the usage and exit 2, never a stack trace), the
 * language (--lang, LC_ALL, LC_MESSAGES, LANG), a failing verify in Chinese with the English
 * machine line last, a load error shown once, reset without git, solution without the lesson
 * text, and watch mode's keys. Whatever writes (progress, hints, reset) runs in a copy of the
 * project, never in this checkout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftOutLine, lessonHeading, localizeMessage, resultLine, summaryLines, type Style } from '../../shared/grading/report.ts';
import { lessons } from '../../shared/manifest.ts';
import type { TestResult } from '../../shared/grading/types.ts';
import { translator } from '../../shared/i18n/index.ts';
import { projectRoot, workRoot } from '../../shared/paths.ts';

const hintsFile = path.join(workRoot, 'hints.json');
const hintsNow = () => (existsSync(hintsFile) ? readFileSync(hintsFile, 'utf8') : '');

/** The environment with no language set (so each test says which it wants) and no colours. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE']) delete clean[name];
  return { ...clean, ...extra };
}

/** Runs one of the workshop's CLIs (shared/cli/<cli>.ts) in `root` (default: this checkout). */
function cli(name: string, args: string[], options: { root?: string; env?: Record<string, string> } = {}) {
  const root = options.root ?? projectRoot;
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'shared', 'cli', `${name}.ts`), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: env(options.env),
    timeout: 110_000,
  });
}

const workshop = (args: string[], root?: string, extra?: Record<string, string>) => cli('workshop', args, { ...(root ? { root } : {}), ...(extra ? { env: extra } : {}) });
const stackLine = /^\s+at .+[:(]/m;

/** A copy of the project (its node_modules linked, no .git, no working files), for CLIs that write. */
function copyProject(): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'comet-cli-')), 'project');
  const skip = new Set(['node_modules', '.git', '.workshop', 'dist', 'test-results', 'data', 'playwright-report']);
  cpSync(projectRoot, root, { recursive: true, filter: (source) => !skip.has(path.relative(projectRoot, source).split(path.sep)[0]!) });
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(root, 'node_modules'));
  return root;
}

describe('help, in every CLI', () => {
  it('workshop: --help (after any verb) and help print the verbs, exit 0, and record no hint', () => {
    const before = hintsNow();
    for (const args of [['--help'], ['hint', '--help'], ['hint', '6', '-h'], ['help'], ['reset', '--help']]) {
      const run = workshop(args);
      expect(run.status, `${args.join(' ')}: exit code; stderr: ${run.stderr}`).toBe(0);
      expect(run.stdout, args.join(' ')).toMatch(/hint \[N\] \[k\]/);
      expect(run.stdout, 'the watch keys are listed').toMatch(/h hint, l list, r or Enter grade again, q quit/);
    }
    expect(hintsNow(), 'the hints shown, after asking only for help').toBe(before);
  });

  it.each([
    ['start', ['--help'], /Usage: npm start/],
    ['verify', ['--help'], /Usage: npm run verify/],
    ['verify', ['help'], /Usage: npm run verify/],
    ['grade', ['--help'], /Usage: npm run grade/],
    ['grade', ['-h'], /Usage: npm run grade/],
    ['grade', ['help'], /Usage: npm run grade/],
    ['start', ['help'], /Usage: npm start/],
    ['mutation', ['--help'], /Usage: npm run mutation/],
    ['pristine', ['--help'], /Usage: npm run pristine/],
  ])('%s %j: the usage on stdout, exit 0, no stack', (name, args, usage) => {
    const run = cli(name, args);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(usage);
    expect(run.stdout).toMatch(/--lang en\|zh-CN/);
    expect(run.stderr).toBe('');
  });

  it('in Chinese with --lang zh-CN, or LANG=zh_CN.UTF-8', () => {
    expect(cli('start', ['--help', '--lang', 'zh-CN']).stdout).toMatch(/^用法：npm start/);
    expect(cli('grade', ['--help'], { env: { LANG: 'zh_CN.UTF-8' } }).stdout).toMatch(/^用法：npm run grade/);
    expect(workshop(['help', '--lang=zh']).stdout).toMatch(/按键：h 提示，l 课程列表，r 或回车 重新评测，q 退出/);
  });
});

describe('wrong arguments: one line saying what, the usage, exit 2, never a stack trace', () => {
  it.each([
    ['start', ['--bogus'], 'Unknown option --bogus.'],
    ['start', ['--port'], '--port needs a value.'],
    ['start', ['--port', 'eighty'], '--port must be a number from 0 to 65535, not "eighty".'],
    ['start', ['--built=yes'], '--built takes no value.'],
    ['grade', ['--only', 'x'], 'Unknown option --only.'],
    ['grade', ['--target', '--lesson', '1'], '--target needs a value.'],
    ['verify', ['1', '--nope'], 'Unknown option --nope.'],
    ['verify', [], 'Which lesson? Give its number or slug.'],
    ['verify', ['42'], 'No lesson "42".'],
    ['verify', ['1', '2'], 'Unexpected argument "2".'],
    ['verify', ['1', '--target', '/nonexistent/folder'], 'No folder /nonexistent/folder to grade.'],
    ['workshop', ['list', '--nope'], 'Unknown option --nope.'],
    ['workshop', ['frobnicate'], 'Unknown verb "frobnicate". Verbs: list, verify, watch, hint, reset, solution, help.'],
    ['workshop', ['list', '--yes'], '--yes goes only with reset.'],
    ['workshop', ['reset'], 'reset needs a lesson: npm run workshop -- reset 2'],
    ['workshop', ['hint', '99'], 'No lesson "99". Lessons:'],
    ['workshop', ['list', '--lang', 'klingon'], '--lang klingon: the workshop speaks en, zh-CN.'],
    ['mutation', ['--nope'], 'Unknown option --nope.'],
    ['mutation', ['99'], 'No lesson "99".'],
    ['pristine', ['--write'], 'Unknown option --write.'],
  ])('%s %j', (name, args, message) => {
    const run = cli(name, args);
    expect(run.status, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(message);
    expect(run.stderr, 'the usage follows').toMatch(/Usage|npm run workshop -- <verb>/);
    expect(run.stderr).not.toMatch(stackLine);
    expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|TypeError|RangeError/);
  });

  it('in Chinese too', () => {
    const run = cli('grade', ['--only', 'x', '--lang', 'zh-CN']);
    expect(run.status).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('未知选项 --only。');
    expect(run.stderr).toMatch(/用法：npm run grade/);
  });
});

describe('the report frame', () => {
  const plain: Style = { bold: String, dim: String, green: String, red: String };
  const results: TestResult[] = [
    { id: 'a', title: 'a', points: 1, status: 'passed', durationMs: 1 },
    { id: 'b', title: 'b', points: 1, status: 'failed', durationMs: 1, message: 'Expected: x\nGot:      y\nLook at:  z' },
  ];
  it('in English: exactly the machine line, and failure messages unchanged', () => {
    expect(summaryLines(results, 0, translator('en'))).toEqual(['1 passed, 1 failed']);
    expect(summaryLines(results, 2, translator('en'))).toEqual(['1 passed, 1 failed, 2 left out on this machine']);
    expect(localizeMessage(results[1]!.message!, translator('en'))).toBe(results[1]!.message);
  });
  it('in English, with the English catalog: every line exactly as without a translator', () => {
    const en = translator('en');
    const lesson = lessons[0]!;
    for (const result of results) {
      const test = { id: result.id, title: result.title, look: 'z' };
      expect(resultLine(result, plain, en, lesson.slug, test)).toBe(resultLine(result, plain));
    }
    expect(lessonHeading(lesson, 'lessons/01-naive-polling', plain, en)).toBe(lessonHeading(lesson, 'lessons/01-naive-polling', plain));
    expect(leftOutLine({ id: 'x', why: 'y' }, en)).toBe(leftOutLine({ id: 'x', why: 'y' }));
    expect(resultLine(results[1]!, plain)).toBe('  ✘ FAIL  b (1 ms)\n          Expected: x\n          Got:      y\n          Look at:  z');
  });
  it('in Chinese: the Chinese summary, then the English machine line last; labels translated, details kept', () => {
    expect(summaryLines(results, 1, translator('zh-CN'))).toEqual(['通过 1 项，失败 1 项，1 项在本机无法运行、未评测', '1 passed, 1 failed, 1 left out on this machine']);
    expect(localizeMessage(results[1]!.message!, translator('zh-CN'))).toBe('预期：x\n实际：y\n检查：z');
    const logged = 'Expected: x\nGot:      y\nLook at:  the test\'s own look\nYour code logged this while the test ran (console.error):\n  boom\nLast output of the process:\nbye';
    const test = { id: 'post-stores', title: 'server: POST', look: "the test's own look" };
    expect(localizeMessage(logged, translator('zh-CN'), '01-naive-polling', test).split('\n').slice(2)).toEqual([
      `检查：${translator('zh-CN')('graders:01-naive-polling.post-stores.look')}`,
      '测试运行期间，你的代码输出了这些内容（console.error）：',
      '  boom',
      '进程最后的输出：',
      'bye',
    ]);
  });
});

describe('in a copy of the project', () => {
  let root: string;
  beforeAll(() => {
    root = copyProject();
  });
  afterAll(() => {
    if (root) rmSync(path.dirname(root), { recursive: true, force: true });
  });

  it('`npm run workshop -- list --lang zh-CN` speaks Chinese, and so does LANG=zh_CN.UTF-8 (LC_ALL first)', () => {
    const viaNpm = spawnSync('npm', ['run', '-s', 'workshop', '--', 'list', '--lang', 'zh-CN'], { cwd: root, encoding: 'utf8', env: env() });
    expect(viaNpm.status, viaNpm.stderr).toBe(0);
    expect(viaNpm.stdout).toContain('已通过 0/9 课');
    expect(viaNpm.stdout).toContain('未开始');
    expect(viaNpm.stdout).toContain('下一步：npm run workshop -- verify 1');
    expect(workshop(['list'], root, { LANG: 'zh_CN.UTF-8' }).stdout).toContain('已通过 0/9 课');
    expect(workshop(['list'], root, { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }).stdout).toContain('0/9 lessons passed');
    expect(workshop(['list', '--lang', 'en'], root, { LANG: 'zh_CN.UTF-8' }).stdout).toContain('0/9 lessons passed');
  });

  it('a failing verify speaks Chinese, and its last line is still `N passed, N failed`', () => {
    const run = cli('verify', ['1', '--lang', 'zh-CN'], { root });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^第 01 课 · /);
    expect(run.stdout).toContain('✘ 失败');
    expect(run.stdout).toMatch(/^ {10}预期：/m);
    expect(run.stdout).toMatch(/^ {10}实际：/m);
    expect(run.stdout).toMatch(/^ {10}检查：/m);
    expect(run.stdout).toMatch(/^通过 0 项，失败 \d+ 项$/m);
    expect(run.stdout).toContain('卡住了？npm run hint -- 1');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^0 passed, \d+ failed$/);
    expect(run.stdout).not.toMatch(/✘ FAIL|Expected:|Look at:/);
  });

  it('a file that does not compile: its error is shown once, with a heading, and each test it fails says so', () => {
    const server = path.join(root, 'lessons', '01-naive-polling', 'server.ts');
    const starter = readFileSync(server, 'utf8');
    writeFileSync(server, starter.replace('export function createApp()', 'export function createApp( {'));
    try {
      const run = cli('verify', ['1'], { root });
      expect(run.status).toBe(1);
      expect(run.stdout.match(/server\.ts could not be loaded/g)).toHaveLength(1);
      expect(run.stdout.match(/Expected identifier/g), 'the compiler error itself, once').toHaveLength(1);
      expect(run.stdout.match(/✘ FAIL {2}server: .* — server\.ts did not load \(above\)/g)).toHaveLength(4);
      expect(run.stdout).toMatch(/^0 passed, 10 failed$/m);
    } finally {
      writeFileSync(server, starter);
    }
  });

  it('reset N works without git: the starter from the pristine copy, a backup of yours, the lesson progress cleared', () => {
    const folder = path.join(root, 'lessons', '01-naive-polling');
    const starter = readFileSync(path.join(projectRoot, 'lessons', '01-naive-polling', 'server.ts'), 'utf8');
    writeFileSync(path.join(folder, 'server.ts'), '// my work\n');
    writeFileSync(path.join(folder, 'notes.ts'), 'export const mine = 1;\n');
    const work = path.join(root, '.workshop');
    const other = { status: 'passed', passed: 5, failed: 0, at: 'then' };
    writeFileSync(path.join(work, 'progress.json'), JSON.stringify({ '01-naive-polling': { status: 'failing', passed: 1, failed: 9, at: 'now' }, '02-held-requests': other }));
    writeFileSync(path.join(work, 'hints.json'), JSON.stringify({ '01-naive-polling': 3 }));
    const noGit = { PATH: '/nonexistent' };

    const refused = workshop(['reset', '1'], root, noGit);
    expect(refused.stdout, 'without --yes and no terminal to ask on').toContain('Nothing changed');
    expect(readFileSync(path.join(folder, 'server.ts'), 'utf8')).toBe('// my work\n');

    const run = workshop(['reset', '1', '--yes', '--lang', 'zh-CN'], root, noGit);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('已用工作坊自带的初始代码');
    expect(readFileSync(path.join(folder, 'server.ts'), 'utf8')).toBe(starter);
    expect(existsSync(path.join(folder, 'notes.ts')), 'a file the starter does not have is gone (it is in the backup)').toBe(false);
    expect(existsSync(path.join(folder, 'README.md')), 'the lesson text stays').toBe(true);
    const backups = readdirSync(path.join(work, 'backups'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(path.join(work, 'backups', backups[0]!, 'server.ts'), 'utf8')).toBe('// my work\n');
    expect(readFileSync(path.join(work, 'backups', backups[0]!, 'notes.ts'), 'utf8')).toContain('mine');
    expect(JSON.parse(readFileSync(path.join(work, 'progress.json'), 'utf8'))).toEqual({ '02-held-requests': other });
    expect(JSON.parse(readFileSync(path.join(work, 'hints.json'), 'utf8'))).toEqual({});
  });

  it('solution N shows the code diff, not the lesson text', () => {
    const locked = workshop(['solution', '1'], root);
    expect(locked.status).toBe(1);
    expect(locked.stdout).toContain('has not passed yet');
    const run = workshop(['solution', '1', '--force'], root);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('diff --git a/lessons/01-naive-polling/server.ts b/solutions/01-naive-polling/server.ts');
    expect(run.stdout).toContain('b/solutions/01-naive-polling/client.ts');
    expect(run.stdout).not.toMatch(/^diff --git .*README|^deleted file/m);
  });

  it('watch: h shows a hint, l the list, r grades again, q quits; the footer names the keys', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'shared', 'cli', 'workshop.ts'), 'watch', '1'], { cwd: root, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const footer = 'h hint · l list · r or Enter grade again · q quit';
    const count = (text: string) => output.split(text).length - 1;
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`watch: no ${what} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await until(() => count(footer) === 1, 'footer after the first grading');
      expect(output).toContain('Watching lessons/01-naive-polling/');
      child.stdin.write('h\n');
      await until(() => /hint \d of 6|failed here/.test(output) && count(footer) === 2, 'hint');
      child.stdin.write('l\n');
      await until(() => output.includes('lessons passed') && count(footer) === 3, 'list');
      child.stdin.write('r\n');
      await until(() => count('Lesson 01 · Naive polling  (grading') === 2 && count(footer) === 4, 'second grading');
      child.stdin.write('q\n');
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
  });
});
