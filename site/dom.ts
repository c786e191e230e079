/** What the site's pages build with: elements made safely, and the parts every live demo has. */
import { t } from './i18n.ts';

/** Builds an element; text goes in as text, never as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Whose server (and client code) a demo runs: the workshop's target ("your code") or the reference solution. */
export type Root = 'lessons' | 'solutions';

/** The switch between your code (the workshop's target) and the reference solution. */
export function whoseCode(target: string): HTMLFieldSetElement {
  const whose = el('fieldset', {}, el('legend', {}, t('whose.legend')));
  for (const [value, label] of [['lessons', target === 'lessons' ? t('whose.yourCode') : t('whose.codeIn', { target })], ['solutions', t('whose.reference')]] as const) {
    const input = el('input', { type: 'radio', name: 'root', value, checked: value === 'lessons', id: `root-${value}` });
    whose.append(el('label', { htmlFor: input.id }, input, ` ${label}`));
  }
  return whose;
}

/** The root picked in a {@link whoseCode} switch. */
export function chosenRoot(whose: HTMLFieldSetElement): Root {
  return (whose.querySelector('input:checked') as HTMLInputElement).value as Root;
}

/** The folder whose client code a demo loads for `root`: your code is served only from lessons/ or solutions/. */
export function clientFolder(root: Root, target: string): Root {
  return root === 'solutions' || target === 'solutions' ? 'solutions' : 'lessons';
}

/** An empty drawing for a Timeline to render into. */
export function timelineSvg(): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'timeline');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('timeline.label'));
  return svg;
}

/** A live demo's section: what it shows, whose code it runs, its controls and status line, then the rest (timeline, legend…). */
export function demoFrame(intro: string, whose: HTMLElement, controls: readonly HTMLElement[], status: HTMLElement, ...rest: Element[]): HTMLElement {
  return el('section', { className: 'demo', ariaLabel: t('demo.sectionLabel') }, el('h2', {}, t('demo.heading')), el('p', {}, intro), whose, el('div', { className: 'controls' }, ...controls), status, ...rest);
}
