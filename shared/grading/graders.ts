/**
 * Loads a lesson's grader and its curated mutants by slug, checking their shape.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { graderPath, mutantsPath } from '../paths.ts';
import type { Grader, GraderTest, Mutant } from './types.ts';

export async function loadGrader(slug: string): Promise<Grader> {
  const module = (await import(pathToFileURL(graderPath(slug)).href)) as { grader?: Grader };
  if (!module.grader || module.grader.lesson !== slug) {
    throw new Error(`${graderPath(slug)} must export \`grader\` for lesson ${slug}`);
  }
  return module.grader;
}

export async function loadMutants(slug: string): Promise<readonly Mutant[]> {
  const file = mutantsPath(slug);
  if (!existsSync(file)) return [];
  const module = (await import(pathToFileURL(file).href)) as { mutants?: readonly Mutant[] };
  return module.mutants ?? [];
}

/** The tests with the ids in `only` (every test when it is not given), in the grader's order. */
export function selectTests(tests: readonly GraderTest[], only?: readonly string[]): readonly GraderTest[] {
  return only ? tests.filter((test) => only.includes(test.id)) : tests;
}
