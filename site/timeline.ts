/**
 * The request timeline: every poll of every simulated client as a bar from the moment it
 * was sent to the moment it was answered, coloured by how it ended. Naive polling draws a
 * comb of short bars; held requests draw long bars that end when a message is posted;
 * timeouts draw bars that end at the hold limit. Requests that are answered at once and are
 * not polls (Bayeux's handshake, subscribe, publish) are ticks at the moment of their answer.
 * A relay demo's rows are lanes (caller, relay, agent) rather than clients. An event stream
 * (lesson 08) is one long bar per connection, with a tick for each event it carries. Several
 * server processes (lesson 09) have a timeline each; a client that moves to another process
 * leaves a tick on the row of the process it moved to.
 */

import { t } from './i18n.ts';

export type Outcome = 'message' | 'empty' | 'timeout' | 'cancelled' | 'gap' | 'error' | 'aborted' | 'refused';

export interface Bar {
  /** Its row, from 1: the client's number, or the lane's. */
  client: number;
  /** performance.now() when sent. */
  started: number;
  /** performance.now() when answered; unset while open. */
  ended?: number;
  outcome?: Outcome;
  /** The answer's HTTP status, where the demo records it. */
  status?: number;
}

/**
 * Labels in the language shown: each property is looked up in the catalog when it is read
 * (`site:<prefix>.<key>`), so a legend drawn after a language switch speaks the new language.
 */
function liveLabels<K extends string>(prefix: string, keys: readonly K[]): Record<K, string> {
  const labels = {} as Record<K, string>;
  for (const key of keys) Object.defineProperty(labels, key, { enumerable: true, get: () => t(`${prefix}.${key}`) });
  return labels;
}

export const outcomes: Record<Outcome, string> = liveLabels('timeline.outcome', ['message', 'empty', 'timeout', 'cancelled', 'gap', 'error', 'aborted', 'refused']);

/** A Bayeux request answered at once that is not a connect: a tick on its client's row when answered. */
export type BayeuxTickKind = 'handshake' | 'subscribe' | 'publish' | 'disconnect';

/** Something that happened at a relay demo's relay or agent: a tick on its lane. */
export type RelayTickKind = 'login' | 'queued' | 'answered' | 'answer' | 'problem';

/** What arrived on an event stream: a tick on the stream's row. */
export type SseTickKind = 'event' | 'gap';

/** What happened to a client of several processes: it moved to this process (from one that died). */
export type ScaleTickKind = 'moved';

export type TickKind = BayeuxTickKind | RelayTickKind | SseTickKind | ScaleTickKind;

export interface Tick {
  client: number;
  /** performance.now() when answered. */
  at: number;
  kind: TickKind;
  /** False when the request failed or the server refused it. */
  ok: boolean;
  /** Why it failed, as the server or the browser said it. */
  problem?: string;
}

export const tickKinds: Record<BayeuxTickKind, string> = liveLabels('timeline.bayeux', ['handshake', 'subscribe', 'publish', 'disconnect']);

export const relayTickKinds: Record<RelayTickKind, string> = liveLabels('timeline.relay', ['login', 'queued', 'answer', 'answered', 'problem']);

export const sseTickKinds: Record<SseTickKind, string> = liveLabels('timeline.sse', ['event', 'gap']);

export const scaleTickKinds: Record<ScaleTickKind, string> = liveLabels('timeline.scale', ['moved']);

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 26;
const LABEL = 90;
/** Pixels left blank between a bar and the next one on its row. */
const GAP = 2;

export class Timeline {
  readonly bars: Bar[] = [];
  readonly ticks: Tick[] = [];
  /** performance.now() of each message posted from the page. */
  readonly posts: number[] = [];

  /** A bar on row `client` from `at` (now unless told: a demo may draw what a server reported). */
  begin(client: number, at = performance.now()): Bar {
    const bar: Bar = { client, started: at };
    this.bars.push(bar);
    return bar;
  }

  end(bar: Bar, outcome: Outcome, at = performance.now()): void {
    bar.ended = at;
    bar.outcome = outcome;
  }

  tick(client: number, kind: TickKind, problem?: string, at = performance.now()): void {
    this.ticks.push({ client, at, kind, ok: problem === undefined, ...(problem === undefined ? {} : { problem }) });
  }

  /** A short summary in words, for people who do not see the drawing; `polls` names the bars. */
  summary(polls = t('timeline.requests')): string {
    const done = this.bars.filter((b) => b.outcome);
    const count = (o: Outcome) => done.filter((b) => b.outcome === o).length;
    const open = this.bars.length - done.length;
    const text = t('timeline.summary', { count: this.bars.length, polls, message: count('message'), empty: count('empty'), timeout: count('timeout'), error: count('error'), open });
    const kinds = Object.keys(tickKinds) as BayeuxTickKind[];
    // Only Bayeux's requests answered at once are counted here; other demos say what their ticks mean.
    if (!this.ticks.some((t) => (kinds as string[]).includes(t.kind))) return text;
    const each = kinds.map((kind) => t('timeline.tickCount', { count: this.ticks.filter((tick) => tick.kind === kind).length, kind: tickKinds[kind] })).join(', ');
    return t('timeline.answeredAtOnce', { text, each, failed: this.ticks.filter((tick) => !tick.ok).length });
  }

  /** Draws the last `windowMs` into `svg`, one row per client (`client 1`, …), or one per label given. */
  render(svg: SVGSVGElement, rows: number | readonly string[], windowMs = 15_000): void {
    const labels = typeof rows === 'number' ? Array.from({ length: rows }, (_, index) => t('timeline.client', { number: index + 1 })) : rows;
    const clients = labels.length;
    const width = svg.clientWidth || 800;
    const now = performance.now();
    const from = now - windowMs;
    const x = (t: number) => LABEL + ((Math.max(t, from) - from) / windowMs) * (width - LABEL);
    const height = clients * ROW + 20;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('height', String(height));
    const shapes: SVGElement[] = [];
    const element = <K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] => {
      const node = document.createElementNS(SVG, tag);
      for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
      shapes.push(node);
      return node;
    };
    for (const [index, label] of labels.entries()) {
      element('text', { x: 4, y: index * ROW + 17, class: 'row-label' }).textContent = label;
    }
    for (const bar of this.bars) {
      const end = bar.ended ?? now;
      if (end < from) continue;
      // A gap of GAP px after each bar (and an outline, in the CSS): neighbouring bars never run together.
      element('rect', {
        x: x(bar.started),
        y: (bar.client - 1) * ROW + 4,
        width: Math.max(2, x(end) - x(bar.started) - GAP),
        height: ROW - 8,
        rx: 3,
        class: `bar ${bar.outcome ?? 'open'}`,
      });
    }
    for (const tick of this.ticks) {
      if (tick.at < from) continue;
      element('line', { x1: x(tick.at), x2: x(tick.at), y1: (tick.client - 1) * ROW + 1, y2: tick.client * ROW - 1, class: `mark ${tick.kind}${tick.ok ? '' : ' failed'}` });
    }
    for (const post of this.posts) {
      if (post < from) continue;
      element('line', { x1: x(post), x2: x(post), y1: 0, y2: clients * ROW, class: 'post' });
    }
    for (let second = Math.ceil(from / 1000) * 1000; second <= now; second += 1000) {
      element('line', { x1: x(second), x2: x(second), y1: clients * ROW, y2: clients * ROW + 5, class: 'tick' });
    }
    element('text', { x: width - 4, y: clients * ROW + 17, class: 'axis', 'text-anchor': 'end' }).textContent = t('timeline.now');
    element('text', { x: LABEL, y: clients * ROW + 17, class: 'axis' }).textContent = t('timeline.ago', { seconds: windowMs / 1000 });
    svg.replaceChildren(...shapes);
  }
}
