/**
 * The workshop site: the lessons in order with the learner's progress, each lesson's text,
 * and for lessons 01–04 and 06 a live demo whose request timeline shows the difference between
 * polling and held requests (for 06, Faye's browser client over Bayeux), for 07 the page as a
 * relay's caller with a three-lane timeline (caller, relay, agent), for 08 the page's own
 * EventSource beside lesson 04's long polls, for 09 three server processes on one broker with
 * lesson 04's clients moving between them when one is killed, and the benchmark results. Each
 * lesson's page also shows the learner's last `npm run verify` of it, its failures drawn on
 * timelines (site/last-run.ts).
 * Routes: `#/`, `#/lessons/<slug>` and `#/benchmarks`.
 *
 * Every page speaks English or 简体中文 (site/i18n.ts: the switch in the header, remembered);
 * a lesson's text is its README.zh-CN.md in Chinese once it exists, the English one until then.
 * On a narrow screen the lessons' nav is a menu behind a button.
 */
import type { BayeuxDemo, ClientDemo } from '../shared/manifest.ts';
import { benchChartUrl, fetchBenchResults, fetchLastRun, fetchLessonText, fetchLessons, fetchProgress, type MountedLesson } from './api.ts';
import { startBayeuxDemo } from './bayeux.ts';
import { startDemo, type RunningDemo } from './demo.ts';
import { chosenRoot, clientFolder, demoFrame, el, timelineSvg, whoseCode } from './dom.ts';
import { language, languageSwitch, lessonField, t } from './i18n.ts';
import { lastRunSection } from './last-run.ts';
import { renderMarkdown } from './markdown.ts';
import { relaySection } from './relay.ts';
import { CLIENT_LESSON, scaleSection } from './scale.ts';
import { sseSection } from './sse.ts';
import { outcomes, tickKinds } from './timeline.ts';

const view = document.getElementById('view') as HTMLElement;
const nav = document.getElementById('lesson-nav') as HTMLElement;
const top = document.querySelector('header.top') as HTMLElement;
const brand = top.querySelector('.brand') as HTMLAnchorElement;
/** On a narrow screen the nav is a menu: this button opens and closes it. */
const menu = el('button', { type: 'button', className: 'menu-toggle', id: 'menu-toggle' });
menu.setAttribute('aria-expanded', 'false');
menu.setAttribute('aria-controls', nav.id);
menu.addEventListener('click', () => setMenu(menu.getAttribute('aria-expanded') !== 'true'));
top.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || menu.getAttribute('aria-expanded') !== 'true') return;
  setMenu(false);
  menu.focus();
});
top.insertBefore(menu, nav);
top.append(languageSwitch(() => void route(false)));

function setMenu(open: boolean): void {
  menu.setAttribute('aria-expanded', String(open));
  top.classList.toggle('menu-open', open);
}
let running: RunningDemo | undefined;
let redraw: ReturnType<typeof setInterval> | undefined;
/** Stops the relay, event-stream or scale demo of the page shown, if it has one. */
let stopSection: (() => void) | undefined;

/** A lesson's title or summary as text, marked `lang="en"` while it has no translation in the language shown (for screen readers and fonts). */
function lessonSpan(lesson: MountedLesson, field: 'title' | 'summary'): HTMLElement {
  const text = lessonField(lesson, field);
  const span = el('span', {}, text);
  if (language() !== 'en' && text === lesson[field]) span.lang = 'en';
  return span;
}

function stopDemo(): void {
  running?.stop();
  running = undefined;
  clearInterval(redraw);
  stopSection?.();
  stopSection = undefined;
}

async function showHome(lessons: MountedLesson[], docs: boolean): Promise<void> {
  const progress = await fetchProgress().catch(() => ({}) as Awaited<ReturnType<typeof fetchProgress>>);
  const done = lessons.filter((l) => progress[l.slug]?.status === 'passed').length;
  const list = el('ol', { className: 'lessons' });
  for (const lesson of lessons) {
    const state = progress[lesson.slug];
    const badge = state ? (state.status === 'passed' ? t('home.passed') : t('home.failing', { passed: state.passed, total: state.passed + state.failed })) : t('home.notStarted');
    list.append(
      el(
        'li',
        {},
        el('a', { href: `#/lessons/${lesson.slug}` }, lessonSpan(lesson, 'title')),
        ' ',
        el('span', { className: `badge ${state?.status ?? 'new'}` }, badge),
        el('p', {}, lessonSpan(lesson, 'summary')),
      ),
    );
  }
  // The reference documentation exists once npm run docs has built it: until then, no link (it would be a 404) but how to build it.
  const reference = docs
    ? el('p', {}, t('home.docsLead'), el('a', { href: '/docs/' }, t('home.docsLink')))
    : el('p', { className: 'note', id: 'docs-missing' }, t('home.docsMissing'));
  view.replaceChildren(
    el('h1', {}, t('home.title')),
    el('p', { className: 'story' }, t('home.story')),
    el('h2', {}, t('home.lessons')),
    el('p', {}, el('progress', { max: lessons.length, value: done, ariaLabel: t('home.progressLabel') }), t('home.progress', { done, total: lessons.length })),
    list,
    el('p', {}, t('home.benchLead'), el('a', { href: '#/benchmarks' }, t('home.benchLink')), t('home.benchTail')),
    reference,
  );
}

/** The legend: what a bar's colour means (only the endings this demo can have), and for Bayeux the ticks. */
function legendItems(bayeux: boolean): HTMLElement[] {
  const endings = Object.entries(outcomes).filter(([key]) => key !== 'refused' && (!bayeux || !['cancelled', 'gap'].includes(key)));
  const bars = [el('li', { className: 'open' }, t('legend.open')), ...endings.map(([key, label]) => el('li', { className: key }, label))];
  const post = el('li', { className: 'mark post' }, t('legend.post'));
  if (!bayeux) return [...bars, post];
  const ticks = Object.entries(tickKinds).map(([key, label]) => el('li', { className: `mark ${key}` }, label));
  const heading = (text: string) => el('li', { className: 'heading' }, text);
  return [heading(t('legend.barsBayeux')), ...bars, heading(t('legend.ticksBayeux')), ...ticks, el('li', { className: 'mark failed' }, t('legend.refusedOrFailed')), post];
}

function demoSection(lesson: MountedLesson, demo: ClientDemo | BayeuxDemo, target: string): HTMLElement {
  const bayeux = demo.kind === 'bayeux';
  const svg = timelineSvg();
  const summary = el('p', { className: 'summary', id: 'timeline-summary' });
  const status = el('p', { className: 'status', role: 'status' });
  const legend = el('ul', { className: 'legend', ariaLabel: t('legend.label') }, ...legendItems(bayeux));
  const received = el('ol', { className: 'received', ariaLabel: t('demo.receivedLabel'), tabIndex: 0 });
  const whose = whoseCode(target);
  const toggle = el('button', { type: 'button', id: 'demo-toggle' }, t('demo.start'));
  const text = el('input', { id: 'demo-text', value: 'hello', maxLength: 500, required: true });
  const postForm = el('form', { className: 'post' }, el('label', { htmlFor: 'demo-text' }, t('demo.message')), text, el('button', { type: 'submit' }, bayeux ? t('demo.publish') : t('demo.post')));
  const stalled = bayeux ? t('demo.stalledBayeux') : t('demo.stalled');
  const show = (client: number, message: string): void => {
    received.prepend(el('li', {}, t('demo.receivedLine', { client, text: message })));
    while (received.children.length > 20) received.lastElementChild!.remove();
  };

  let startedAt = 0;
  let refused = false;
  const draw = (): void => {
    if (!running) return;
    running.timeline.render(svg, running.clients);
    summary.textContent = t('demo.summary', { summary: running.timeline.summary(t(bayeux ? 'timeline.connects' : 'timeline.requests')), counts: running.delivered.join(', ') });
    if (!refused && running.timeline.bars.length === 0 && performance.now() - startedAt > (bayeux ? 3000 : 2000)) {
      const refusal = running.timeline.ticks.findLast((tick) => !tick.ok)?.problem;
      status.textContent = refusal ? t('demo.lastRefusal', { stalled, refusal }) : stalled;
    }
  };
  toggle.addEventListener('click', async () => {
    if (running) {
      stopDemo();
      toggle.textContent = t('demo.start');
      return;
    }
    const root = chosenRoot(whose);
    const whom = root === 'lessons' ? t('whose.your') : t('whose.theReference');
    try {
      let subscribed: string | undefined;
      if (demo.kind === 'bayeux') {
        running = await startBayeuxDemo(lesson.slug, demo, root, lesson.clientScript, show);
        status.textContent = t('demo.subscribing', { count: running.clients, channel: demo.channel, whom });
        subscribed = t('demo.subscribed', { count: running.clients, channel: demo.channel, whom });
      } else {
        running = await startDemo(lesson.slug, demo, root, clientFolder(root, target));
        status.textContent = t('demo.running', { count: running.clients, whom });
      }
      const started = running;
      refused = false;
      started.ready.then(
        () => {
          if (running === started && subscribed) status.textContent = subscribed;
        },
        (error: Error) => {
          if (running !== started) return;
          refused = true;
          status.textContent = error.message;
        },
      );
      startedAt = performance.now();
      (window as unknown as { __timeline: unknown }).__timeline = running.timeline;
      toggle.textContent = t('demo.stop');
      redraw = setInterval(draw, 100);
    } catch (error) {
      status.textContent = t('demo.couldNotStart', { error: (error as Error).message });
    }
  });
  postForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!running) {
      status.textContent = t('demo.startFirst');
      return;
    }
    try {
      await running.post(text.value);
      status.textContent = t(bayeux ? 'demo.published' : 'demo.posted', { text: text.value });
    } catch (error) {
      status.textContent = t(bayeux ? 'demo.publishFailed' : 'demo.postFailed', { error: (error as Error).message });
    }
  });
  const intro = bayeux ? t('demo.introBayeux', { channel: demo.channel }) : t('demo.intro');
  return demoFrame(intro, whose, [toggle, postForm], status, svg, legend, summary, ...(bayeux ? [el('h3', {}, t('demo.receivedHeading')), received] : []));
}

async function showLesson(lesson: MountedLesson, target: string, lessons: readonly MountedLesson[]): Promise<void> {
  const text = el('article', { className: 'lesson-text' });
  // The project's own Markdown, in the language shown when it has been translated; without it, the page and its demo still show.
  const lastRun = fetchLastRun(lesson.slug).catch((error: Error) => error);
  const found = await fetchLessonText(lesson.slug, language()).catch((error: Error) => error);
  if (found instanceof Error) text.append(el('p', { className: 'note' }, t('lesson.textMissing', { error: found.message })));
  else {
    text.lang = found.language;
    text.innerHTML = renderMarkdown(found.text);
    if (found.language !== language()) text.prepend(el('p', { className: 'note', id: 'not-translated', lang: language() }, t('lesson.notTranslated')));
  }
  const parts: HTMLElement[] = [];
  if (lesson.fallback) parts.push(el('p', { className: 'note' }, t('lesson.fallback', { problem: lesson.fallback })));
  if (lesson.problem) parts.push(el('p', { className: 'note' }, t('lesson.problem', { problem: lesson.problem })));
  if (lesson.pagePath) parts.push(el('p', { className: 'open-page' }, el('a', { href: lesson.pagePath, target: '_blank' }, t('lesson.openChat')), t('lesson.openChatTail')));
  if (lesson.agentFallback) parts.push(el('p', { className: 'note' }, t('lesson.agentFallback', { problem: lesson.agentFallback })));
  if (lesson.agentProblem) parts.push(el('p', { className: 'note' }, t('lesson.agentProblem', { problem: lesson.agentProblem })));
  const { demo } = lesson;
  const keepStop = (stop: () => void) => (stopSection = stop);
  if (demo?.kind === 'relay') parts.push(relaySection(lesson.slug, demo, target, keepStop));
  else if (demo?.kind === 'sse') parts.push(sseSection(lesson, demo, target, lessons.find((l) => l.slug === demo.compareWith), keepStop));
  else if (demo?.kind === 'scale') parts.push(scaleSection(lesson, demo, target, lessons.find((l) => l.slug === CLIENT_LESSON), keepStop));
  else if (demo) parts.push(demoSection(lesson, demo, target));
  // The last verify's failures, drawn (after npm run verify).
  parts.push(lastRunSection(lesson.number, await lastRun));
  view.replaceChildren(...parts, text);
}

async function showBenchmarks(): Promise<void> {
  const markdown = await fetchBenchResults();
  if (!markdown) {
    view.replaceChildren(el('h1', {}, t('bench.title')), el('p', {}, t('bench.none')));
    return;
  }
  const text = el('article', { className: 'lesson-text benchmarks', lang: 'en' });
  text.innerHTML = renderMarkdown(markdown); // the project's own Markdown
  for (const image of text.querySelectorAll('img')) {
    if (image.getAttribute('src') !== 'chart.svg') continue;
    image.src = benchChartUrl;
    // The chart keeps a readable size on a narrow screen: it scrolls inside its own box.
    const box = el('div', { className: 'chart-box', tabIndex: 0, ariaLabel: image.alt || t('bench.title') });
    box.setAttribute('role', 'group');
    image.replaceWith(box);
    box.append(image);
  }
  const parts: HTMLElement[] = language() === 'en' ? [] : [el('p', { className: 'note' }, t('bench.englishOnly'))];
  view.replaceChildren(...parts, text);
}

/** Wide tables scroll inside their own box, which a keyboard can reach and scroll. */
function scrollableTables(root: HTMLElement): void {
  for (const table of root.querySelectorAll('table')) {
    if (table.parentElement?.classList.contains('table-box')) continue;
    const box = el('div', { className: 'table-box', tabIndex: 0 });
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', table.querySelector('th')?.textContent?.trim() || t('table'));
    table.replaceWith(box);
    box.append(table);
  }
}

/** Draws the page the address names; `focus`: move the focus to it (not after a language switch, which keeps it on the switch). */
async function route(focus = true): Promise<void> {
  stopDemo();
  setMenu(false);
  const { target, docs, lessons } = await fetchLessons();
  brand.textContent = t('brand');
  nav.setAttribute('aria-label', t('nav.label'));
  menu.textContent = t('nav.menu');
  const slug = /^#\/lessons\/([\w-]+)$/.exec(location.hash)?.[1];
  const lesson = lessons.find((l) => l.slug === slug);
  const benchmarks = location.hash === '#/benchmarks';
  const link = (href: string, current: boolean, ...children: Array<Node | string>) => {
    const a = el('a', { href }, ...children);
    if (current) a.setAttribute('aria-current', 'page');
    return a;
  };
  nav.replaceChildren(
    ...lessons.map((l) =>
      link(`#/lessons/${l.slug}`, l === lesson, el('span', { className: 'number' }, String(l.number).padStart(2, '0')), ' ', lessonSpan(l, 'title')),
    ),
    link('#/benchmarks', benchmarks, t('nav.benchmarks')),
  );
  if (lesson) await showLesson(lesson, target, lessons);
  else if (benchmarks) await showBenchmarks();
  else await showHome(lessons, docs);
  scrollableTables(view);
  document.title = lesson ? t('titleSuffix', { title: lessonField(lesson, 'title') }) : benchmarks ? t('titleSuffix', { title: t('bench.title') }) : t('brand');
  if (focus) view.focus();
}

window.addEventListener('hashchange', () => void route());
void route();
