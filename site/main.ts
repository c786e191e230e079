/**
 * The workshop site: the lessons in order with the learner's progress, each lesson's text,
 * and for lessons 01–04 and 06 a live demo whose request timeline shows the difference between
 * polling and held requests (for 06, Faye's browser client over Bayeux), for 07 the page as a
 * relay's caller with a three-lane timeline (caller, relay, agent), for 08 the page's own
 * EventSource beside lesson 04's long polls, for 09 three server processes on one broker with
 * lesson 04's clients moving between them when one is killed, and the benchmark results.
 * Routes: `#/`, `#/lessons/<slug>` and `#/benchmarks`.
 */
import type { BayeuxDemo, ClientDemo } from '../shared/manifest.ts';
import { benchChartUrl, fetchBenchResults, fetchLessonText, fetchLessons, fetchProgress, type MountedLesson } from './api.ts';
import { startBayeuxDemo } from './bayeux.ts';
import { startDemo, type RunningDemo } from './demo.ts';
import { chosenRoot, clientFolder, demoFrame, el, timelineSvg, whoseCode } from './dom.ts';
import { renderMarkdown } from './markdown.ts';
import { relaySection } from './relay.ts';
import { CLIENT_LESSON, scaleSection } from './scale.ts';
import { sseSection } from './sse.ts';
import { outcomes, tickKinds } from './timeline.ts';

const view = document.getElementById('view') as HTMLElement;
const nav = document.getElementById('lesson-nav') as HTMLElement;
let running: RunningDemo | undefined;
let redraw: ReturnType<typeof setInterval> | undefined;
/** Stops the relay, event-stream or scale demo of the page shown, if it has one. */
let stopSection: (() => void) | undefined;

const STORY =
  'HTTP lets the browser ask and the server answer, never the other way round. Around 2006 people ' +
  'found ways to make the server "push" anyway — they called it Comet, or reverse Ajax: the browser ' +
  'asks, and the server simply does not answer until it has news, holding the request open like a ' +
  'comet dragging its long tail. Chats, live scores and web IM were built this way, in ASP.NET and ' +
  'everywhere else, with a waiting list of requests on the server and a loop in the page that asks ' +
  'again after every answer. This workshop rebuilds that idea from the first naive poll to a full chat.';

function stopDemo(): void {
  running?.stop();
  running = undefined;
  clearInterval(redraw);
  stopSection?.();
  stopSection = undefined;
}

async function showHome(lessons: MountedLesson[]): Promise<void> {
  const progress = await fetchProgress().catch(() => ({}) as Awaited<ReturnType<typeof fetchProgress>>);
  const done = lessons.filter((l) => progress[l.slug]?.status === 'passed').length;
  const list = el('ol', { className: 'lessons' });
  for (const lesson of lessons) {
    const state = progress[lesson.slug];
    const badge = state ? (state.status === 'passed' ? 'passed' : `failing (${state.passed}/${state.passed + state.failed})`) : 'not started';
    list.append(
      el('li', {}, el('a', { href: `#/lessons/${lesson.slug}` }, lesson.title), ' ', el('span', { className: `badge ${state?.status ?? 'new'}` }, badge), el('p', {}, lesson.summary)),
    );
  }
  view.replaceChildren(
    el('h1', {}, 'Server push, built by hand'),
    el('p', { className: 'story' }, STORY),
    el('h2', {}, 'The lessons'),
    el('p', {}, el('progress', { max: lessons.length, value: done, ariaLabel: 'lessons passed' }), ` ${done} of ${lessons.length} passed (from your last npm run verify)`),
    list,
    el('p', {}, 'How far does one process go? ', el('a', { href: '#/benchmarks' }, 'The benchmarks'), ': polling against held requests, 10,000 held clients against Socket.IO, Faye and bare Node, and lesson 06’s Bayeux server against Faye’s own.'),
    el('p', {}, 'Reference documentation: ', el('a', { href: '/docs/' }, 'the workshop library and the lessons’ contracts'), ' (after npm run docs).'),
  );
}

/** The legend: what a bar's colour means (only the endings this demo can have), and for Bayeux the ticks. */
function legendItems(bayeux: boolean): HTMLElement[] {
  const endings = Object.entries(outcomes).filter(([key]) => key !== 'refused' && (!bayeux || !['cancelled', 'gap'].includes(key)));
  const bars = endings.map(([key, label]) => el('li', { className: key }, label));
  if (!bayeux) return bars;
  const ticks = Object.entries(tickKinds).map(([key, label]) => el('li', { className: `mark ${key}` }, label));
  const heading = (text: string) => el('li', { className: 'heading' }, text);
  return [heading('Bars, /meta/connect:'), ...bars, heading('Ticks, answered at once:'), ...ticks, el('li', { className: 'mark failed' }, 'refused or failed')];
}

function demoSection(lesson: MountedLesson, demo: ClientDemo | BayeuxDemo, target: string): HTMLElement {
  const bayeux = demo.kind === 'bayeux';
  const svg = timelineSvg();
  const summary = el('p', { className: 'summary', id: 'timeline-summary' });
  const status = el('p', { className: 'status', role: 'status' });
  const legend = el('ul', { className: 'legend' }, ...legendItems(bayeux));
  const received = el('ol', { className: 'received', ariaLabel: 'Messages received' });
  const whose = whoseCode(target);
  const toggle = el('button', { type: 'button', id: 'demo-toggle' }, 'Start the demo');
  const text = el('input', { id: 'demo-text', value: 'hello', maxLength: 500, required: true });
  const postForm = el('form', { className: 'post' }, el('label', { htmlFor: 'demo-text' }, 'Message'), text, el('button', { type: 'submit' }, bayeux ? 'Publish' : 'Post'));
  const stalled = bayeux
    ? 'No /meta/connect after 3 seconds: the handshake or the subscription did not succeed (red ticks). If your server is not written yet, stop, choose the reference solution, and start again.'
    : 'No request after 2 seconds: this client may not be written yet. Stop, choose the reference solution, and start again.';
  const show = (client: number, message: string): void => {
    received.prepend(el('li', {}, `client ${client}: ${message}`));
    while (received.children.length > 20) received.lastElementChild!.remove();
  };

  let startedAt = 0;
  let refused = false;
  const draw = (): void => {
    if (!running) return;
    running.timeline.render(svg, running.clients);
    summary.textContent = `${running.timeline.summary(bayeux ? '/meta/connect requests' : 'requests')} Delivered per client: ${running.delivered.join(', ')}.`;
    if (!refused && running.timeline.bars.length === 0 && performance.now() - startedAt > (bayeux ? 3000 : 2000)) {
      const refusal = running.timeline.ticks.findLast((tick) => !tick.ok)?.problem;
      status.textContent = refusal ? `${stalled} The last refusal: ${refusal}.` : stalled;
    }
  };
  toggle.addEventListener('click', async () => {
    if (running) {
      stopDemo();
      toggle.textContent = 'Start the demo';
      return;
    }
    const root = chosenRoot(whose);
    const whom = root === 'lessons' ? 'your' : 'the reference';
    try {
      let subscribed: string | undefined;
      if (demo.kind === 'bayeux') {
        running = await startBayeuxDemo(lesson.slug, demo, root, lesson.clientScript, show);
        status.textContent = `${running.clients} Faye clients subscribing to ${demo.channel} on ${whom} server…`;
        subscribed = `${running.clients} Faye clients subscribed to ${demo.channel} on ${whom} server.`;
      } else {
        running = await startDemo(lesson.slug, demo, root, clientFolder(root, target));
        status.textContent = `${running.clients} clients running ${whom} client against ${whom} server.`;
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
      toggle.textContent = 'Stop the demo';
      redraw = setInterval(draw, 100);
    } catch (error) {
      status.textContent = `The demo could not start: ${(error as Error).message}`;
    }
  });
  postForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!running) {
      status.textContent = 'Start the demo first.';
      return;
    }
    try {
      await running.post(text.value);
      status.textContent = `${bayeux ? 'Published' : 'Posted'} "${text.value}".`;
    } catch (error) {
      status.textContent = `The ${bayeux ? 'publish' : 'post'} failed: ${(error as Error).message}`;
    }
  });
  const intro = bayeux
    ? `Two clients in this page run Faye’s own browser client (faye-browser-min.js, as npm ships it), WebSocket and EventSource turned off so that it long-polls, each subscribed to ${demo.channel} through this lesson’s server; the box publishes with the first. Each /meta/connect is a bar from sent to answered; every other request is a tick when its answer comes. Open the page in a second window to publish from there. Two clients, not three: a browser keeps at most six connections to one server, and each held /meta/connect keeps one busy.`
    : 'Three clients run this lesson’s client code in this page. Each bar is one request, from sent to answered. If your code is not written yet, run the reference solution.';
  return demoFrame(intro, whose, [toggle, postForm], status, svg, legend, summary, ...(bayeux ? [el('h3', {}, 'Received'), received] : []));
}

async function showLesson(lesson: MountedLesson, target: string, lessons: readonly MountedLesson[]): Promise<void> {
  const text = el('article', { className: 'lesson-text' });
  // The project's own Markdown; without it, the page and its demo still show.
  const markdown = await fetchLessonText(lesson.slug).catch((error: Error) => error);
  if (typeof markdown === 'string') text.innerHTML = renderMarkdown(markdown);
  else text.append(el('p', { className: 'note' }, `The text of this lesson could not be read (${markdown.message}).`));
  const parts: HTMLElement[] = [];
  if (lesson.fallback) parts.push(el('p', { className: 'note' }, `Your code for this lesson did not start when npm start began (${lesson.fallback}), so the workshop serves the reference solution. It loads server code only when it starts: once your code is fixed, restart it (Ctrl+C, then npm start) and this notice goes.`));
  if (lesson.problem) parts.push(el('p', { className: 'note' }, `This lesson’s server could not be loaded: ${lesson.problem}`));
  if (lesson.pagePath) parts.push(el('p', { className: 'open-page' }, el('a', { href: lesson.pagePath, target: '_blank' }, 'Open the chat'), ' — in two tabs, as the two demo users.'));
  if (lesson.agentFallback) parts.push(el('p', { className: 'note' }, `Your agent.ts did not start when npm start began (${lesson.agentFallback}), so the demo agent runs the reference solution’s. Once it is fixed, restart npm start and this notice goes.`));
  if (lesson.agentProblem) parts.push(el('p', { className: 'note' }, `No demo agent could be started against this lesson’s relay: ${lesson.agentProblem}`));
  const { demo } = lesson;
  const keepStop = (stop: () => void) => (stopSection = stop);
  if (demo?.kind === 'relay') parts.push(relaySection(lesson.slug, demo, target, keepStop));
  else if (demo?.kind === 'sse') parts.push(sseSection(lesson, demo, target, lessons.find((l) => l.slug === demo.compareWith), keepStop));
  else if (demo?.kind === 'scale') parts.push(scaleSection(lesson, demo, target, lessons.find((l) => l.slug === CLIENT_LESSON), keepStop));
  else if (demo) parts.push(demoSection(lesson, demo, target));
  view.replaceChildren(...parts, text);
}

async function showBenchmarks(): Promise<void> {
  const markdown = await fetchBenchResults();
  if (!markdown) {
    view.replaceChildren(el('h1', {}, 'Benchmarks'), el('p', {}, 'No results yet: run npm run bench (a few minutes; npm run bench -- --quick for a first look).'));
    return;
  }
  const text = el('article', { className: 'lesson-text benchmarks' });
  text.innerHTML = renderMarkdown(markdown); // the project's own Markdown
  for (const image of text.querySelectorAll('img')) if (image.getAttribute('src') === 'chart.svg') image.src = benchChartUrl;
  view.replaceChildren(text);
}

async function route(): Promise<void> {
  stopDemo();
  const { target, lessons } = await fetchLessons();
  nav.replaceChildren(...lessons.map((l) => el('a', { href: `#/lessons/${l.slug}` }, String(l.number).padStart(2, '0'))), el('a', { href: '#/benchmarks' }, 'Benchmarks'));
  const slug = /^#\/lessons\/([\w-]+)$/.exec(location.hash)?.[1];
  const lesson = lessons.find((l) => l.slug === slug);
  const benchmarks = location.hash === '#/benchmarks';
  if (lesson) await showLesson(lesson, target, lessons);
  else if (benchmarks) await showBenchmarks();
  else await showHome(lessons);
  document.title = lesson ? `${lesson.title} · Comet Workshop` : benchmarks ? 'Benchmarks · Comet Workshop' : 'Comet Workshop';
  view.focus();
}

window.addEventListener('hashchange', () => void route());
void route();
