/**
 * The tasks of each lesson, as its text's "Your task" defines them, and which task a grader
 * test checks: what Exercism's `task_id` and a teacher's per-task view need.
 *
 * A lesson's tasks are either its TODOs (lessons 01, 08 and 09 list them one by one: task N
 * is TODO N) or its files (the others say "server.ts, TODOs 1–7; client.ts, TODOs 8–11":
 * task 1 is the first file's TODOs, task 2 the next file's…). A test's task is the one of the
 * first TODO its "where to look" names; when it names no TODO, the one of the first lesson
 * file it names; when it names neither, it has none (Exercism's `task_id` is optional).
 * test/meta/grading.test.ts checks this table against the starters' TODOs.
 *
 * Also here: the source of a grader test, for Exercism's `test_code`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { graderPath } from '../paths.ts';
import type { GraderTest } from './types.ts';

export interface TaskFile {
  readonly file: string;
  /** The TODO numbers of this file, first and last. */
  readonly todos: readonly [number, number];
}

export interface LessonTasks {
  /** `todo`: task N is TODO N. `file`: task N is the N-th file's TODOs. */
  readonly by: 'todo' | 'file';
  /** The files with TODOs, in the lesson text's order. */
  readonly files: readonly TaskFile[];
}

export const lessonTasks: Readonly<Record<string, LessonTasks>> = {
  '01-naive-polling': { by: 'todo', files: [{ file: 'server.ts', todos: [1, 4] }, { file: 'client.ts', todos: [5, 8] }] },
  '02-held-requests': { by: 'file', files: [{ file: 'server.ts', todos: [1, 5] }, { file: 'client.ts', todos: [6, 9] }] },
  '03-timeouts': { by: 'file', files: [{ file: 'server.ts', todos: [1, 7] }, { file: 'client.ts', todos: [8, 11] }] },
  '04-resume': { by: 'file', files: [{ file: 'server.ts', todos: [1, 6] }, { file: 'client.ts', todos: [7, 9] }] },
  '05-chat': {
    by: 'file',
    files: [
      { file: 'passwords.ts', todos: [1, 2] },
      { file: 'store.ts', todos: [3, 9] },
      { file: 'hub.ts', todos: [10, 14] },
      { file: 'server.ts', todos: [15, 23] },
    ],
  },
  '06-bayeux': {
    by: 'file',
    files: [
      { file: 'channels.ts', todos: [1, 3] },
      { file: 'engine.ts', todos: [4, 7] },
      { file: 'server.ts', todos: [8, 13] },
    ],
  },
  '07-relay': {
    by: 'file',
    files: [
      { file: 'database.ts', todos: [1, 3] },
      { file: 'server.ts', todos: [4, 9] },
      { file: 'agent.ts', todos: [10, 11] },
      { file: 'caller.ts', todos: [12, 12] },
    ],
  },
  '08-event-stream': { by: 'todo', files: [{ file: 'framing.ts', todos: [1, 3] }, { file: 'server.ts', todos: [4, 13] }] },
  '09-scale-out': { by: 'todo', files: [{ file: 'broker.ts', todos: [1, 5] }, { file: 'server.ts', todos: [6, 12] }] },
};

/** The number of tasks a lesson has. */
export function taskCount(slug: string): number {
  const tasks = lessonTasks[slug];
  if (!tasks) return 0;
  return tasks.by === 'file' ? tasks.files.length : Math.max(...tasks.files.map((f) => f.todos[1]));
}

/** The task a test checks (from 1), from the TODOs or files its "where to look" names; undefined when it names neither. */
export function taskOf(slug: string, test: { look: string }): number | undefined {
  const tasks = lessonTasks[slug];
  if (!tasks) return undefined;
  const todo = /\bTODOs? (\d+)/.exec(test.look);
  if (todo) {
    const n = Number(todo[1]);
    if (tasks.by === 'todo') return n;
    const index = tasks.files.findIndex((f) => n >= f.todos[0] && n <= f.todos[1]);
    if (index >= 0) return index + 1;
  }
  const named = tasks.files
    .map((f, index) => ({ index, at: test.look.search(new RegExp(`(^|[^\\w.-])${f.file.replace('.', '\\.')}\\b`)) }))
    .filter((hit) => hit.at >= 0)
    .sort((a, b) => a.at - b.at)[0];
  if (!named) return undefined;
  return tasks.by === 'file' ? named.index + 1 : tasks.files[named.index]!.todos[0];
}

const graderSources = new Map<string, string[]>();

/**
 * The source of one grader test as it is written in test/graders/<slug>.ts: the object literal
 * that holds `id: '<id>'` (found by its indentation, as the graders are formatted), or, when it
 * cannot be found there (a test built by a helper), the test's run function as Node prints it.
 */
export function testSource(slug: string, test: Pick<GraderTest, 'id' | 'run'>): string {
  let lines = graderSources.get(slug);
  if (!lines) {
    try {
      lines = readFileSync(graderPath(slug), 'utf8').split('\n');
    } catch {
      lines = [];
    }
    graderSources.set(slug, lines);
  }
  const at = lines.findIndex((line) => line.trim() === `id: '${test.id}',` || line.trim() === `id: "${test.id}",`);
  if (at > 0) {
    const indent = lines[at]!.length - lines[at]!.trimStart().length;
    const outer = ' '.repeat(Math.max(0, indent - 2));
    let start = at - 1;
    while (start >= 0 && !(lines[start]!.startsWith(outer) && !lines[start]!.startsWith(`${outer} `) && lines[start]!.trimEnd().endsWith('{'))) start--;
    let end = at + 1;
    while (end < lines.length && !(lines[end]!.startsWith(`${outer}}`))) end++;
    if (start >= 0 && end < lines.length) {
      return lines
        .slice(start, end + 1)
        .map((line) => line.slice(Math.min(outer.length, line.length - line.trimStart().length)))
        .join('\n');
    }
  }
  return test.run.toString();
}
