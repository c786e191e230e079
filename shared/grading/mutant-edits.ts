/**
 * Edits that curated mutants share: the typical mistakes that take more than one find and
 * replace to write.
 *
 * @module
 */
import type { MutantEdit } from './types.ts';

/**
 * Moves `declaration` (a whole line inside createApp(), newline included) to the top level of
 * `file`, just before `anchor`: the state is then shared by every app createApp() builds.
 */
export function moveToModuleLevel(file: string, declaration: string, anchor = '/** Builds the lesson'): MutantEdit[] {
  return [
    { file, find: declaration, replace: '' },
    { file, find: anchor, replace: `${declaration.trim()}\n\n${anchor}` },
  ];
}

/** In an express lesson's server.ts: the next id comes from a counter taken before the body is checked. */
export function idTakenBeforeChecking(): MutantEdit[] {
  return [
    { file: 'server.ts', find: '  const messages: Message[] = [];\n', replace: '  const messages: Message[] = [];\n  let nextId = 1;\n' },
    { file: 'server.ts', find: '    const problem = problemWithNewMessage(req.body);\n', replace: '    const id = nextId++;\n    const problem = problemWithNewMessage(req.body);\n' },
    { file: 'server.ts', find: 'id: messages.length + 1,', replace: 'id,' },
  ];
}
