/**
 * The live demo of an event-stream lesson (08): two timelines side by side, and one message
 * box that posts to both servers.
 *
 * - **Left, the event stream**: this page's own, native `EventSource` on the lesson's stream
 *   (`/lessons/<slug>/api/events`, your server or the reference). Each connection is one long
 *   bar, from its `open` to its end; each event it carries is a tick, a `gap` a mark of its
 *   own. No client code of the lesson runs: the browser reconnects by itself after the server
 *   ends the stream, and sends `Last-Event-ID`.
 * - **Right, long polling**: the lesson the demo compares with (04-resume), its demo clients
 *   (site/demo.ts, its own client code) on its own server: a comb of held polls, one per message.
 *
 * "Restart the server" asks the workshop (`POST /api/lessons/<slug>/restart`) to shut the
 * lesson's app down and make it again with the messages it kept: the stream ends, the browser
 * reconnects (a new bar) and the received list goes on with no message lost or repeated.
 */
import type { ClientDemo, SseDemo } from '../shared/manifest.ts';
import type { MountedLesson } from './api.ts';
import { startDemo, type RunningDemo } from './demo.ts';
import { chosenRoot, clientFolder, demoFrame, el, timelineSvg, whoseCode, type Root } from './dom.ts';
import { lessonField, t } from './i18n.ts';
import { Timeline, outcomes, sseTickKinds, type Bar, type Outcome } from './timeline.ts';

/** The stream's one row: a connection's bar and its ticks. */
const STREAM = 1;
/** How long the page waits before it makes a new EventSource after the server refused one (EventSource does not retry then). */
const REOPEN_MS = 2000;
/** Lines the received list keeps. */
const SHOWN = 100;

/** A message as the stream brought it: its event id and its text (or the data as it came, if it was not a message). */
export interface Received {
  readonly id: string;
  readonly text: string;
}

interface StreamEvents {
  message(received: Received): void;
  gap(from: unknown, to: unknown): void;
  /** What just happened to the connection, in words. */
  state(sentence: string): void;
}

/** The page's EventSource on the lesson's stream, drawn into its timeline. */
class Stream {
  readonly timeline = new Timeline();
  readonly received: Received[] = [];
  connections = 0;
  gaps = 0;
  #source: EventSource | undefined;
  #bar: Bar | undefined;
  #lastId = '';
  #reopen: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly url: string,
    readonly on: StreamEvents,
  ) {}

  get open(): boolean {
    return this.#bar !== undefined;
  }

  /**
   * A new EventSource. Its first request cannot send Last-Event-ID, so a new one after a
   * refusal names the last event it has in the query (`lastEventId`); its own reconnects send the header.
   */
  start(): void {
    const source = new EventSource(this.#lastId ? `${this.url}?lastEventId=${encodeURIComponent(this.#lastId)}` : this.url);
    this.#source = source;
    source.addEventListener('open', () => {
      this.#end('cancelled');
      this.#bar = this.timeline.begin(STREAM);
      this.connections++;
      if (this.connections > 1) this.on.state(t('sse.reconnected', { count: this.connections, lastId: this.#lastId || t('sse.noneYet') }));
    });
    source.addEventListener('message', (event) => {
      this.#lastId = event.lastEventId;
      this.timeline.tick(STREAM, 'event');
      const received = { id: event.lastEventId, text: messageText(event.data) };
      this.received.push(received);
      this.on.message(received);
    });
    source.addEventListener('gap', (event) => {
      const gap = parsed((event as MessageEvent<string>).data) as { from?: unknown; to?: unknown } | undefined;
      this.#lastId = (event as MessageEvent<string>).lastEventId;
      this.gaps++;
      this.timeline.tick(STREAM, 'gap');
      this.on.gap(gap?.from, gap?.to);
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CONNECTING) {
        // The stream ended (a restart, its maximum age) or could not connect: the browser tries again by itself.
        if (this.#bar) this.on.state(t('sse.ended'));
        this.#end('cancelled');
        return;
      }
      // CLOSED: an answer that was not a 200 text/event-stream, after which EventSource gives up.
      this.#end('error');
      source.close();
      this.on.state(t('sse.refused', { url: this.url, seconds: REOPEN_MS / 1000 }));
      this.#reopen = setTimeout(() => this.start(), REOPEN_MS);
    });
  }

  stop(): void {
    clearTimeout(this.#reopen);
    this.#source?.close();
    this.#end('aborted');
  }

  #end(outcome: Outcome): void {
    if (this.#bar) this.timeline.end(this.#bar, outcome);
    this.#bar = undefined;
  }
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** A message event's text: the message's `text`, or the data as it came when it is not a message. */
function messageText(data: string): string {
  const message = parsed(data) as { text?: unknown } | undefined;
  return typeof message?.text === 'string' ? message.text : t('sse.notAMessage', { data: data.slice(0, 200) });
}

async function postTo(url: string, text: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  if (!response.ok) throw new Error(((await response.json().catch(() => ({}))) as { error?: string }).error ?? t('errors.statusOnly', { status: response.status }));
}

/** A legend: bars by outcome, then ticks. */
function legend(bars: ReadonlyArray<readonly [string, string]>, ticks: ReadonlyArray<readonly [string, string]>): HTMLElement {
  const item = ([key, label]: readonly [string, string]) => el('li', { className: key }, label);
  return el('ul', { className: 'legend', ariaLabel: t('legend.label') }, ...bars.map(item), ...ticks.map(([key, label]) => item([`mark ${key}`, label])));
}

/** One of the two timelines: a heading, the drawing, its legend and its summary in words. */
function column(heading: string, id: string, svg: SVGSVGElement, key: HTMLElement, summary: HTMLElement): HTMLElement {
  return el('div', { className: 'column', id }, el('h3', {}, heading), svg, key, summary);
}

/**
 * The demo section of an event-stream lesson's page; `compare` is the long-polling lesson shown
 * beside it (when it is mounted with a client demo), `keepStop` is given what stops the demo
 * when the page changes.
 */
export function sseSection(lesson: MountedLesson, demo: SseDemo, target: string, compare: MountedLesson | undefined, keepStop: (stop: () => void) => void): HTMLElement {
  const slug = lesson.slug;
  const polling = compare?.demo && (compare.demo.kind ?? 'client') === 'client' ? (compare.demo as ClientDemo) : undefined;
  const streamSvg = timelineSvg();
  const pollSvg = timelineSvg();
  const streamSummary = el('p', { className: 'summary', id: 'stream-summary' });
  const pollSummary = el('p', { className: 'summary', id: 'timeline-summary' });
  const status = el('p', { className: 'status', role: 'status' });
  const received = el('ol', { className: 'received', id: 'sse-received', ariaLabel: t('demo.receivedLabel'), tabIndex: 0 });
  const whose = whoseCode(target);
  const toggle = el('button', { type: 'button', id: 'demo-toggle' }, t('demo.start'));
  const restartButton = el('button', { type: 'button', id: 'sse-restart', disabled: true }, t('sse.restart'));
  const text = el('input', { id: 'demo-text', value: 'hello', maxLength: 500, required: true });
  const postForm = el('form', { className: 'post' }, el('label', { htmlFor: 'demo-text' }, t('demo.message')), text, el('button', { type: 'submit' }, t('sse.postToBoth')));
  const timelines = el(
    'div',
    { className: 'timelines' },
    column(
      t('sse.streamHeading', { number: slug.slice(0, 2) }),
      'sse-stream',
      streamSvg,
      legend(
        [['open', t('sse.connected')], ['cancelled', t('sse.endedByServer')], ['error', t('sse.refusedNoRetry')], ['aborted', t('sse.stopped')]],
        Object.entries(sseTickKinds),
      ),
      streamSummary,
    ),
    column(
      t('sse.pollsHeading', { number: demo.compareWith.slice(0, 2), title: compare ? lessonField(compare, 'title') : demo.compareWith }),
      'sse-polls',
      pollSvg,
      legend([['open', t('legend.open')], ...(['message', 'timeout', 'gap', 'error', 'aborted'] as const).map((key) => [key, outcomes[key]] as const)], []),
      pollSummary,
    ),
  );

  let stream: Stream | undefined;
  let polls: RunningDemo | undefined;
  let root: Root = 'lessons';
  let redraw: ReturnType<typeof setInterval> | undefined;
  let startedAt = 0;
  const show = (line: string): void => {
    received.append(el('li', {}, line));
    while (received.children.length > SHOWN) received.firstElementChild!.remove();
  };

  const stop = (): void => {
    stream?.stop();
    polls?.stop();
    stream = undefined;
    polls = undefined;
    clearInterval(redraw);
    toggle.textContent = t('demo.start');
    restartButton.disabled = true;
  };
  keepStop(stop);
  const draw = (): void => {
    if (!stream) return;
    stream.timeline.render(streamSvg, ['EventSource']);
    const events = stream.timeline.ticks.filter((tick) => tick.kind === 'event').length;
    streamSummary.textContent = t('sse.streamSummary', { count: stream.connections, open: stream.open ? t('sse.oneOpen') : t('sse.noneOpen'), events, gaps: stream.gaps });
    if (polls) {
      polls.timeline.render(pollSvg, polls.clients);
      pollSummary.textContent = t('demo.summary', { summary: polls.timeline.summary(t('timeline.polls')), counts: polls.delivered.join(', ') });
    }
    if (polls && polls.timeline.bars.length === 0 && performance.now() - startedAt > 2000) {
      status.textContent = t('sse.noPoll', { lesson: demo.compareWith });
    }
  };

  toggle.addEventListener('click', async () => {
    if (stream) return stop();
    root = chosenRoot(whose);
    const whom = root === 'lessons' ? t('whose.your') : t('whose.theReference');
    const started = new Stream(`/${root}/${slug}/api${demo.eventsPath}`, {
      message: (message) => show(`#${message.id} ${message.text}`),
      gap: (from, to) => show(t('sse.gapLine', { from: String(from), to: String(to) })),
      state: (sentence) => (status.textContent = sentence),
    });
    stream = started;
    (window as unknown as { __sse: unknown }).__sse = started;
    (window as unknown as { __timeline: unknown }).__timeline = started.timeline;
    started.start();
    let note = t('sse.noClientDemo', { lesson: demo.compareWith });
    if (polling && compare) {
      try {
        const clients = await startDemo(compare.slug, polling, root, clientFolder(root, target));
        if (stream !== started) return clients.stop(); // stopped while their code loaded
        polls = clients;
        (window as unknown as { __polls: unknown }).__polls = clients.timeline;
        note = t('sse.clientsPoll', { count: clients.clients, whom, lesson: demo.compareWith });
      } catch (error) {
        note = t('sse.clientsFailed', { lesson: demo.compareWith, error: (error as Error).message });
      }
    }
    if (stream !== started) return;
    status.textContent = t('sse.following', { whom, note });
    startedAt = performance.now();
    toggle.textContent = t('demo.stop');
    restartButton.disabled = false;
    redraw = setInterval(draw, 100);
  });

  postForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!stream) {
      status.textContent = t('demo.startFirst');
      return;
    }
    const message = text.value;
    stream.timeline.posts.push(performance.now());
    const [toStream, toPolls] = await Promise.allSettled([postTo(`/${root}/${slug}/api/messages`, message), polls?.post(message)]);
    const failed = (outcome: PromiseSettledResult<unknown>, lesson: string) =>
      outcome.status === 'rejected' ? [t('sse.postFailedTo', { where: t('sse.lessonName', { lesson }), error: (outcome.reason as Error).message })] : [];
    const problems = [...failed(toStream, slug), ...failed(toPolls, demo.compareWith)];
    status.textContent = problems.length ? problems.join(' ') : t('sse.postedBoth', { text: message });
  });

  restartButton.addEventListener('click', async () => {
    restartButton.disabled = true;
    const connections = stream?.connections;
    try {
      const response = await fetch(`/api/lessons/${slug}/restart`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ root }) });
      const body = (await response.json().catch(() => ({}))) as { kept?: number; error?: string };
      if (!response.ok) throw new Error(body.error ?? t('errors.statusOnly', { status: response.status }));
      // Unless the stream has reconnected already, and the page said so.
      if (stream?.connections === connections) status.textContent = t('sse.restarted', { kept: body.kept ?? 0 });
    } catch (error) {
      status.textContent = t('sse.restartFailed', { error: (error as Error).message });
    } finally {
      restartButton.disabled = stream === undefined;
    }
  });

  const intro = t('sse.intro', { lesson: demo.compareWith });
  return demoFrame(intro, whose, [toggle, postForm, restartButton], status, timelines, el('h3', {}, t('sse.receivedHeading')), received);
}
