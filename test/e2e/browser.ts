/**
 * Where the browser is. Browsers cannot be downloaded on this workshop's machines, so the
 * tests use Debian's Chromium (or CHROMIUM_PATH); without it they are skipped, loudly.
 */
import { existsSync } from 'node:fs';
import { test } from '@playwright/test';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const missingChromium =
  `\n!!! No Chromium at ${chromiumPath}: the browser tests are SKIPPED.\n` +
  '!!! Install it with: apt-get update && apt-get install -y chromium  (or set CHROMIUM_PATH)\n';

/** Call at the top of a spec file: skips its tests, with the fix in the message, when there is no browser. */
export function needsChromium(): void {
  test.skip(!hasChromium, missingChromium);
}
