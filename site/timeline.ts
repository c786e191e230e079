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
 *
 * A timeline can also be a still drawing of what happened (a failed test's recording, on the
 * lesson page): drawn over a fixed window ({@link DrawOptions}), with the labels above the bars,
 * a bar that can be focused and tells what it was (`detail`), and the moment the grader
 * expected something marked across every row.
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
  /** What the request and its answer were, in words: set, the bar can be focused (its rect has `data-bar`, its index in `bars`). */
  detail?: string;
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

/** In a recording: a chunk of a streamed answer, something the learner's client did. */
export type RecordingTickKind = 'chunk' | 'learner';

export type TickKind = BayeuxTickKind | RelayTickKind | SseTickKind | ScaleTickKind | RecordingTickKind;

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

/**
 * How to draw a still timeline instead of the last seconds up to now: the window `from`–`to`
 * (in the bars' own time), the axis's two ends, the row labels above the bars (they keep the
 * whole width for time, on a phone too).
 */
export interface DrawOptions {
  readonly from: number;
  readonly to: number;
  readonly axis: readonly [string, string];
  /** The words under each tick of the axis between its two ends (where there is room). */
  readonly tickLabel?: (at: number) => string;
  readonly labelsAbove?: boolean;
}

/** The moment something was expected, marked across every row, with what. */
export interface Expected {
  readonly at: number;
  readonly what: string;
}

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 26;
/** A row whose label is above its bar. */
const TALL_ROW = 34;
const LABEL = 90;
/** About how wide a character of the 12 px labels is (a CJK one is a full em), to fit a label in the room it has. */
const CHAR = 6.6;
const WIDE = 12;

const charWidth = (char: string): number => (char >= '\u2e80' ? WIDE : CHAR);
const textWidth = (text: string): number => [...text].reduce((sum, char) => sum + charWidth(char), 0);

/** A step of 1, 2 or 5 × 10ⁿ, so that about `count` of them fill `span`. */
function niceStep(span: number, count: number): number {
  const rough = span / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough) ?? power * 10;
}

function cut(text: string, room: number): string {
  if (textWidth(text) <= room) return text;
  let kept = '';
  for (const char of text) {
    if (textWidth(kept) + charWidth(char) + CHAR > room) break;
    kept += char;
  }
  return `${kept}…`;
}
/** Pixels left blank between a bar and the next one on its row. */
const GAP = 2;

export class Timeline {
  readonly bars: Bar[] = [];
  readonly ticks: Tick[] = [];
  /** performance.now() of each message posted from the page. */
  readonly posts: number[] = [];
  /** The moment a grader expected something (a still drawing of a failed test). */
  expected?: Expected;

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

  /**
   * Draws the last `windowMs` into `svg`, one row per client (`client 1`, …), or one per label
   * given; or, with `still`, the window it names. A bar with a `detail` is focusable
   * (`data-bar` is its index in {@link bars}).
   */
  render(svg: SVGSVGElement, rows: number | readonly string[], windowMs = 15_000, still?: DrawOptions): void {
    const labels = typeof rows === 'number' ? Array.from({ length: rows }, (_, index) => t('timeline.client', { number: index + 1 })) : rows;
    const clients = labels.length;
    const width = svg.clientWidth || 800;
    const now = still ? still.to : performance.now();
    const from = still ? still.from : now - windowMs;
    const span = Math.max(1e-6, now - from);
    const above = still?.labelsAbove ?? false;
    const row = above ? TALL_ROW : ROW;
    /** Where bars start, and where in a row they are. */
    const left = above ? 4 : LABEL;
    const top = above ? 13 : 0;
    const barHeight = above ? row - 17 : ROW - 8;
    /** A still drawing keeps a line at the top for the expected moment's words, and a margin at the right. */
    const head = still ? 16 : 0;
    const right = still ? 4 : 0;
    const x = (t: number) => left + ((Math.min(Math.max(t, from), now) - from) / span) * (width - right - left);
    const height = head + clients * row + 20;
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
      element('text', { x: 4, y: head + (above ? index * row + 11 : index * ROW + 17), class: 'row-label' }).textContent = above ? cut(label, width - 8) : label;
    }
    for (const [index, bar] of this.bars.entries()) {
      const end = bar.ended ?? now;
      if (end < from || bar.started > now) continue;
      // A gap of GAP px after each bar (and an outline, in the CSS): neighbouring bars never run together.
      const rect = element('rect', {
        x: x(bar.started),
        y: head + (bar.client - 1) * row + top + 4,
        width: Math.max(2, x(end) - x(bar.started) - GAP),
        height: barHeight,
        rx: 3,
        class: `bar ${bar.outcome ?? 'open'}`,
      });
      if (bar.detail === undefined) continue;
      rect.setAttribute('tabindex', '0');
      rect.setAttribute('role', 'button');
      rect.setAttribute('aria-label', bar.detail);
      rect.dataset.bar = String(index);
    }
    for (const tick of this.ticks) {
      if (tick.at < from || tick.at > now) continue;
      const y1 = head + (tick.client - 1) * row + (above ? top + 2 : 1);
      element('line', { x1: x(tick.at), x2: x(tick.at), y1, y2: above ? y1 + barHeight + 4 : tick.client * ROW - 1, class: `mark ${tick.kind}${tick.ok ? '' : ' failed'}` });
    }
    for (const post of this.posts) {
      if (post < from || post > now) continue;
      element('line', { x1: x(post), x2: x(post), y1: 0, y2: clients * row, class: 'post' });
    }
    const [start, stop] = still ? still.axis : [t('timeline.ago', { seconds: windowMs / 1000 }), t('timeline.now')];
    const step = still ? niceStep(span, Math.max(2, Math.floor(width / 80))) : 1000;
    for (let at = Math.ceil(from / step) * step; at <= now; at += step) {
      element('line', { x1: x(at), x2: x(at), y1: head + clients * row, y2: head + clients * row + 5, class: 'tick' });
      // Clear of the two ends' words.
      const label = still?.tickLabel?.(at);
      if (label !== undefined && x(at) - textWidth(label) / 2 > left + textWidth(start) + 8 && x(at) + textWidth(label) / 2 < width - 4 - textWidth(stop) - 8) {
        element('text', { x: x(at), y: head + clients * row + 17, class: 'axis', 'text-anchor': 'middle' }).textContent = label;
      }
    }
    element('text', { x: width - 4, y: head + clients * row + 17, class: 'axis', 'text-anchor': 'end' }).textContent = stop;
    element('text', { x: left, y: head + clients * row + 17, class: 'axis' }).textContent = start;
    if (this.expected && this.expected.at >= from && this.expected.at <= now) {
      const at = x(this.expected.at);
      element('line', { x1: at, x2: at, y1: 2, y2: head + clients * row + 5, class: 'expected' });
      // Its words at the top, on the side with more room.
      const room = Math.max(at - 4, width - at - 4) - 12;
      const toTheLeft = at - 4 > width - at - 4;
      element('text', { x: toTheLeft ? at - 4 : at + 4, y: 12, class: 'expected-label', 'text-anchor': toTheLeft ? 'end' : 'start' }).textContent = cut(t('timeline.expected', { what: this.expected.what }), room);
    }
    svg.replaceChildren(...shapes);
  }
}
