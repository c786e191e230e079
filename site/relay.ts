/// <reference types="vite/client" />
/**
 * The live demo of a relay lesson (07): three lanes, one for each of its programs.
 *
 * - **caller**: this page. Its form sends one of the agent's named queries through the
 *   lesson's relay with the lesson's own caller library (caller.ts, yours or the reference's),
 *   as the demo caller (protocol.ts: DEMO_CALLER_KEY). Each of its requests is a bar, from
 *   sent to answered, held at the relay until the agent's answer comes, coloured by status.
 * - **agent**: the demo agent (protocol.ts: DEMO_AGENT) runs inside the workshop process, as
 *   an outbound-only client of the workshop's own port, like an agent behind a firewall. Its
 *   held poll is a bar: it ends when it carries a query in, or at the hold limit.
 * - **relay**: what happens at the relay, as ticks: a query queued, an answer handed to its
 *   caller, a refusal.
 *
 * The relay's and the agent's events (their `onEvent`) reach the page through the workshop's
 * own held GET, `/api/lessons/<slug>/events?root=…&after=N`, lesson 04's resume: each answer
 * brings every event after N, or nothing after a while.
 */
import type { RelayDemo } from '../shared/manifest.ts';
import type { DemoEvent } from '../shared/workshop-server.ts';
import { chosenRoot, clientFolder, demoFrame, el, timelineSvg, whoseCode, type Root } from './dom.ts';
import { t } from './i18n.ts';
import { Timeline, relayTickKinds, type Bar, type Outcome, type RelayTickKind } from './timeline.ts';

/** The lanes, top to bottom: a bar's or a tick's `client` is its lane's number, from 1. */
export const LANES = ['caller', 'relay', 'agent'] as const;
const CALLER = 1;
const RELAY = 2;
const AGENT = 3;

/** A query the agent refuses whatever its parameters: SQL sent as if it were a name. */
const RAW_SQL = 'SELECT * FROM customers';

/** The lessons' caller libraries and contracts, compiled by Vite, loaded when a demo starts. */
const callerModules = import.meta.glob<Record<string, unknown>>(['/lessons/*/caller.ts', '/solutions/*/caller.ts']);
const protocolModules = import.meta.glob<Record<string, unknown>>(['/lessons/*/protocol.ts', '/solutions/*/protocol.ts']);

type Caller = { query(query: string, params?: Record<string, unknown>): Promise<unknown> };
type CreateCaller = (options: { relayUrl: string; agent: string; apiKey: string }) => Caller;

/** What the page's requests are recorded into: only the running demo's queries. */
interface Recording {
  readonly queries: RegExp;
  readonly timeline: Timeline;
}

let recording: Recording | undefined;
const plainFetch = window.fetch.bind(window);

/** A caller's request as its status says it ended. */
function callerOutcome(status: number): Outcome {
  if (status === 200) return 'message';
  return status >= 400 && status < 500 ? 'refused' : 'error';
}

/** The wrapper: records the caller's requests (POST …/agents/<name>/queries of the running demo), passes everything else through. */
window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const r = recording;
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request ? request.url : String(input), location.href);
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  if (!r || method !== 'POST' || !r.queries.test(url.pathname)) return plainFetch(input, init);
  const bar = r.timeline.begin(CALLER);
  try {
    const response = await plainFetch(input, init);
    bar.status = response.status;
    r.timeline.end(bar, callerOutcome(response.status));
    return response;
  } catch (error) {
    r.timeline.end(bar, (error as Error).name === 'AbortError' ? 'aborted' : 'error');
    throw error;
  }
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The event's moment on the page's clock (performance.now()), from the server's Date.now(). */
const pageTime = (event: DemoEvent) => event.at - performance.timeOrigin;

/** Draws the relay's and the agent's events: the agent's held polls as bars, the rest as ticks. */
class Lanes {
  #poll: Bar | undefined;
  /** Polls that carried queries in, and queries they carried. */
  work = { polls: 0, queries: 0 };
  /** The last thing that went wrong at the relay or the agent, in words. */
  lastProblem: string | undefined;

  constructor(readonly timeline: Timeline) {}

  #endPoll(outcome: Outcome, at: number): void {
    if (this.#poll) this.timeline.end(this.#poll, outcome, at);
    this.#poll = undefined;
  }

  #tick(lane: number, kind: RelayTickKind, at: number, problem?: string): void {
    if (problem !== undefined) this.lastProblem = problem;
    this.timeline.tick(lane, kind, problem, at);
  }

  add(event: DemoEvent): void {
    const at = pageTime(event);
    const failed = event.status !== undefined && event.status >= 500 ? t('errors.statusOnly', { status: event.status }) : undefined;
    switch (`${event.lane} ${event.kind}`) {
      case 'relay poll-held':
        this.#endPoll('timeout', at);
        this.#poll = this.timeline.begin(AGENT, at);
        return;
      case 'relay poll-answered':
        // Answered at once (queries were waiting): a poll that was never held.
        this.#poll ??= this.timeline.begin(AGENT, at);
        this.work.polls++;
        this.work.queries += event.count ?? 0;
        return this.#endPoll('message', at);
      case 'relay poll-timeout':
        return this.#endPoll('timeout', at);
      case 'relay login':
        this.#endPoll('error', at);
        return this.#tick(RELAY, 'login', at);
      case 'relay query-queued':
        return this.#tick(RELAY, 'queued', at);
      case 'relay query-answered':
        return this.#tick(RELAY, 'answered', at, failed);
      case 'relay query-refused':
        return this.#tick(RELAY, 'problem', at, t('relay.problems.queryRefused', { status: event.status }));
      case 'relay query-deadline':
        return this.#tick(RELAY, 'problem', at, t('relay.problems.deadline'));
      case 'relay answer-refused':
        return this.#tick(RELAY, 'problem', at, t('relay.problems.answerRefused', { status: event.status }));
      case 'relay agent-offline':
        this.#endPoll('error', at);
        return this.#tick(RELAY, 'problem', at, t('relay.problems.offline'));
      case 'agent connected':
        return this.#tick(AGENT, 'login', at);
      case 'agent answer':
        return this.#tick(AGENT, 'answer', at, failed);
      case 'agent retry':
        return this.#tick(AGENT, 'problem', at, t('relay.problems.retry', { ms: event.count }));
      case 'agent error':
        return this.#tick(AGENT, 'problem', at, t('relay.problems.agent', { problem: event.problem ?? t('relay.problems.anError') }));
      default:
        return; // work, and anything a lesson adds: nothing to draw
    }
  }
}

/** Follows the workshop's feed of the relay's and the agent's events until `signal` aborts. */
async function follow(url: string, lanes: Lanes, onTrouble: (problem: string | undefined) => void, signal: AbortSignal): Promise<void> {
  let after = 0;
  while (!signal.aborted) {
    try {
      const response = await plainFetch(`${url}&after=${after}`, { signal });
      const body = (await response.json()) as { events?: DemoEvent[]; last?: number; error?: string };
      if (!response.ok || !Array.isArray(body.events) || typeof body.last !== 'number') throw new Error(body.error ?? t('errors.statusOnly', { status: response.status }));
      for (const event of body.events) lanes.add(event);
      after = body.last;
      onTrouble(undefined);
    } catch (error) {
      if (signal.aborted) return;
      onTrouble(t('relay.eventsTrouble', { error: (error as Error).message }));
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

interface RunningRelay {
  readonly timeline: Timeline;
  readonly lanes: Lanes;
  readonly caller: Caller;
  stop(): void;
}

async function startRelayDemo(slug: string, root: Root, from: Root, onTrouble: (problem: string | undefined) => void): Promise<RunningRelay> {
  const load = async (modules: typeof callerModules, file: string) => {
    const loader = modules[`/${from}/${slug}/${file}`];
    if (!loader) throw new Error(t('errors.noFile', { file, folder: `${from}/${slug}` }));
    return loader();
  };
  const [callerModule, protocol] = await Promise.all([load(callerModules, 'caller.ts'), load(protocolModules, 'protocol.ts')]);
  const createCaller = callerModule.createCaller as CreateCaller | undefined;
  if (typeof createCaller !== 'function') throw new Error(t('errors.noExport', { file: `${from}/${slug}/caller.ts`, name: 'createCaller()' }));
  const { DEMO_AGENT: agent, DEMO_CALLER_KEY: apiKey } = protocol;
  if (typeof agent !== 'string' || typeof apiKey !== 'string') throw new Error(t('errors.noExport', { file: `${from}/${slug}/protocol.ts`, name: 'DEMO_AGENT, DEMO_CALLER_KEY' }));
  const relayUrl = `/${root}/${slug}/api`;
  const timeline = new Timeline();
  const lanes = new Lanes(timeline);
  const session: Recording = { queries: new RegExp(`^${escapeRegExp(relayUrl)}/agents/[^/]+/queries$`), timeline };
  recording = session;
  const controller = new AbortController();
  void follow(`/api/lessons/${slug}/events?root=${root}`, lanes, onTrouble, controller.signal);
  return {
    timeline,
    lanes,
    caller: createCaller({ relayUrl, agent, apiKey }),
    stop() {
      controller.abort();
      if (recording === session) recording = undefined;
    },
  };
}

/** The legend: the caller's bars, the agent's, and the ticks. */
function legend(): HTMLElement {
  const item = ([key, label]: readonly [string, string]) => el('li', { className: key }, label);
  const heading = (text: string) => el('li', { className: 'heading' }, text);
  const ticks = Object.entries(relayTickKinds).map(([key, label]) => item([`mark ${key}`, label]));
  return el(
    'ul',
    { className: 'legend lanes', ariaLabel: t('legend.label') },
    heading(t('relay.callerHeading')),
    ...([['message', t('relay.answered200')], ['refused', t('relay.refused4xx')], ['error', t('relay.failed5xx')], ['open', t('relay.heldNow')]] as const).map(item),
    heading(t('relay.agentHeading')),
    ...([['message', t('relay.carried')], ['timeout', t('relay.timedOut')], ['open', t('relay.heldNow')]] as const).map(item),
    heading(t('relay.ticksHeading')),
    ...ticks,
  );
}

/** The timeline in words, lane by lane, for people who do not see the drawing. */
function summary(running: RunningRelay): string {
  const { bars, ticks } = running.timeline;
  const of = (lane: number) => bars.filter((bar) => bar.client === lane);
  const count = (lane: number, outcome?: Outcome) => of(lane).filter((bar) => bar.outcome === outcome).length;
  const relayTicks = (kind: RelayTickKind) => ticks.filter((tick) => tick.client === RELAY && tick.kind === kind).length;
  const { polls, queries } = running.lanes.work;
  return t('relay.summary', {
    queries: of(CALLER).length,
    answered: count(CALLER, 'message'),
    refused: count(CALLER, 'refused'),
    failed: count(CALLER, 'error'),
    held: count(CALLER),
    queued: relayTicks('queued'),
    handed: relayTicks('answered'),
    problems: relayTicks('problem'),
    polls: of(AGENT).length,
    carrying: polls,
    carried: queries,
    timedOut: count(AGENT, 'timeout'),
    agentHeld: count(AGENT),
  });
}

/** What a query gave, for the answer box: the result as JSON, or the status and the relay's (or agent's) sentence. */
function shown(outcome: PromiseSettledResult<unknown>, status: number | undefined): string {
  if (outcome.status === 'fulfilled') {
    const json = outcome.value === undefined ? t('relay.noResult') : JSON.stringify(outcome.value, null, 2);
    return `${status ?? '?'} — ${json}`;
  }
  const error = outcome.reason as { status?: unknown; message?: unknown };
  return `${typeof error.status === 'number' ? error.status : (status ?? '?')} — ${String(error.message ?? error)}`;
}

/** The demo section of a relay lesson's page; `keepStop` is given what stops it when the page changes. */
export function relaySection(slug: string, demo: RelayDemo, target: string, keepStop: (stop: () => void) => void): HTMLElement {
  const svg = timelineSvg();
  const status = el('p', { className: 'status', role: 'status' });
  const summaryText = el('p', { className: 'summary', id: 'timeline-summary' });
  const whose = whoseCode(target);
  const toggle = el('button', { type: 'button', id: 'demo-toggle' }, t('demo.start'));
  const query = el('select', { id: 'relay-query' }, ...demo.examples.map((example) => el('option', { value: example.query }, example.query)));
  const params = el('input', { id: 'relay-params', value: JSON.stringify(demo.examples[0]?.params ?? {}), size: 40 });
  const rawSql = el('button', { type: 'button' }, t('relay.rawSql'));
  const form = el(
    'form',
    { className: 'post' },
    el('label', { htmlFor: query.id }, t('relay.query')),
    query,
    el('label', { htmlFor: params.id }, t('relay.params')),
    params,
    el('button', { type: 'submit' }, t('relay.ask')),
    rawSql,
  );
  const answer = el('pre', { className: 'answer', id: 'relay-answer', ariaLabel: t('relay.answerLabel'), tabIndex: 0 });
  answer.setAttribute('role', 'region'); // a named box that may scroll: a keyboard reaches it
  let running: RunningRelay | undefined;
  let redraw: ReturnType<typeof setInterval> | undefined;
  let startedAt = 0;
  let trouble: string | undefined;

  const stop = (): void => {
    running?.stop();
    running = undefined;
    clearInterval(redraw);
    toggle.textContent = t('demo.start');
  };
  keepStop(stop);
  const draw = (): void => {
    if (!running) return;
    running.timeline.render(svg, LANES.map((lane) => t(`relay.lanes.${lane}`)));
    summaryText.textContent = summary(running);
    const noPoll = running.timeline.bars.every((bar) => bar.client !== AGENT) && performance.now() - startedAt > 3000;
    if (trouble) status.textContent = trouble;
    else if (noPoll) {
      const why = running.lanes.lastProblem ? t('relay.lastProblem', { problem: running.lanes.lastProblem }) : '';
      status.textContent = t('relay.noPoll', { why });
    }
  };
  query.addEventListener('change', () => {
    const example = demo.examples.find((e) => e.query === query.value);
    if (example) params.value = JSON.stringify(example.params);
  });
  toggle.addEventListener('click', async () => {
    if (running) return stop();
    const root = chosenRoot(whose);
    try {
      running = await startRelayDemo(slug, root, clientFolder(root, target), (problem) => (trouble = problem));
      (window as unknown as { __timeline: unknown }).__timeline = running.timeline;
      startedAt = performance.now();
      status.textContent = t('relay.started', { whom: root === 'lessons' ? t('whose.your') : t('whose.theReference') });
      toggle.textContent = t('demo.stop');
      redraw = setInterval(draw, 100);
    } catch (error) {
      status.textContent = t('demo.couldNotStart', { error: (error as Error).message });
    }
  });
  const ask = async (name: string, text: string): Promise<void> => {
    if (!running) {
      status.textContent = t('demo.startFirst');
      return;
    }
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      values = undefined;
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      status.textContent = t('relay.paramsObject');
      return;
    }
    const { caller, timeline } = running;
    const before = timeline.bars.length;
    status.textContent = t('relay.asked', { name });
    const [outcome] = await Promise.allSettled([caller.query(name, values as Record<string, unknown>)]);
    const bar = timeline.bars.slice(before).find((b) => b.client === CALLER);
    answer.textContent = shown(outcome!, bar?.status);
    status.textContent = t('relay.result', { name, outcome: outcome!.status === 'fulfilled' ? t('relay.answered') : t('relay.noAnswer') });
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void ask(query.value, params.value);
  });
  rawSql.addEventListener('click', () => void ask(RAW_SQL, '{}'));

  const intro = t('relay.intro');
  return demoFrame(intro, whose, [toggle, form], status, el('h3', {}, t('relay.answerHeading')), answer, svg, legend(), summaryText);
}
