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
