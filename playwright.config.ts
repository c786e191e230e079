/**
 * Browser tests of the site and the chat, in Debian's Chromium (browsers cannot be
 * downloaded here). With no Chromium they are skipped with a loud message naming the fix —
 * except under CI=true, where a missing browser is a failure.
 */
import { defineConfig } from '@playwright/test';
import { chromiumPath, hasChromium, missingChromium } from './test/e2e/browser.ts';

const port = Number(process.env.E2E_PORT ?? 4790);

if (!hasChromium) {
  if (process.env.CI === 'true') throw new Error(`${missingChromium}!!! Under CI=true a missing browser is a failure.`);
  console.warn(missingChromium);
}

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  timeout: 30_000,
  workers: 1,
  reporter: [['list'], ['./test/support/playwright-summary.ts']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: chromiumPath,
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  webServer: {
    // The reference solutions, and a throwaway data folder (never the learner's chat database).
    command: `rm -rf .workshop/e2e-data && npx tsx shared/cli/start.ts --target solutions --port ${port} --data .workshop/e2e-data`,
    url: `http://127.0.0.1:${port}/api/lessons`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore',
  },
});
