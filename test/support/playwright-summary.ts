/** Ends a Playwright run with the plain line `browser: N passed, N failed, N skipped`. */
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  readonly #counts = { passed: 0, failed: 0, skipped: 0 };

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.#counts.passed++;
    else if (result.status === 'skipped') this.#counts.skipped++;
    else this.#counts.failed++;
  }

  onEnd(): void {
    const { passed, failed, skipped } = this.#counts;
    process.stdout.write(`\nbrowser: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
