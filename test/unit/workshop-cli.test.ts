/**
 * The learner's CLI (shared/cli/workshop.ts): `--help` shows the verbs, whatever verb it
 * comes with, and asking for help does not count as asking for a hint.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, workRoot } from '../../shared/paths.ts';

const hintsFile = path.join(workRoot, 'hints.json');
const hintsNow = () => (existsSync(hintsFile) ? readFileSync(hintsFile, 'utf8') : '');

function workshop(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'shared', 'cli', 'workshop.ts'), ...args], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('workshop CLI', () => {
  it('prints its usage for --help (after any verb) and help, exit 0, and records no hint', () => {
    const before = hintsNow();
    for (const args of [['--help'], ['hint', '--help'], ['hint', '6', '-h'], ['help']]) {
      const run = workshop(args);
      expect(run.status, `${args.join(' ')}: exit code; stderr: ${run.stderr}`).toBe(0);
      expect(run.stdout, args.join(' ')).toMatch(/hint \[N\] \[k\]/);
    }
    expect(hintsNow(), 'the hints shown, after asking only for help').toBe(before);
  });
});
