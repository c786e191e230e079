/**
 * What the layout tests check on a page as it is: no sideways scroll, every control reachable,
 * axe-core clean of serious and critical issues (site-layout.spec.ts, last-run.spec.ts).
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** How far the page scrolls sideways beyond the viewport (0 when it does not). */
export const overflow = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth);

/**
 * Every visible control (links, buttons, fields, focusable boxes) that cannot be reached: once
 * scrolled to, it must lie inside the viewport's width and be the element found at its centre
 * (not covered, not clipped). Returns a description of each that fails.
 */
export const unreachable = (page: Page) =>
  page.evaluate(() => {
    const problems: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])');
    for (const control of controls) {
      if (control.closest('[hidden]') || control.getClientRects().length === 0 || getComputedStyle(control).visibility === 'hidden') continue;
      // Not rendered: inside a closed <details> (its summary is the control), or content-visibility: hidden.
      if (!control.checkVisibility()) continue;
      if (control.classList.contains('visually-hidden')) continue;
      control.scrollIntoView({ block: 'center', inline: 'nearest' });
      const rect = control.getBoundingClientRect();
      const name = `${control.tagName.toLowerCase()}${control.id ? `#${control.id}` : ''} "${(control.textContent ?? '').trim().slice(0, 40) || control.getAttribute('aria-label') || ''}"`;
      if (rect.width === 0 || rect.height === 0) continue; // not drawn (an empty box)
      if (rect.left < -1 || rect.right > window.innerWidth + 1) {
        problems.push(`${name} lies outside the viewport's width (${Math.round(rect.left)}–${Math.round(rect.right)} of ${window.innerWidth})`);
        continue;
      }
      const x = Math.min(Math.max(rect.left + Math.min(rect.width / 2, 20), 0), window.innerWidth - 1);
      const y = Math.min(Math.max(rect.top + rect.height / 2, 0), window.innerHeight - 1);
      const found = document.elementFromPoint(x, y);
      const label = found?.closest('label');
      const reached = found !== null && (control.contains(found) || found.contains(control) || (label !== null && label !== undefined && (label.control === control || label.contains(control))));
      if (!reached) problems.push(`${name} is covered by ${found ? `${found.tagName.toLowerCase()}.${found.className}` : 'nothing (off screen)'}`);
    }
    window.scrollTo(0, 0);
    return problems;
  });

/** axe-core's serious and critical violations, each with the elements it names. */
export async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 5).join(', ')}`);
}
