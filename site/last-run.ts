/**
 * "Your last verify" on a lesson's page: when `npm run verify` last ran, how many tests passed
 * and failed, and each failed test with its message and its HTTP exchanges drawn by the demos'
 * own timeline (timeline.ts, as a still drawing): a lane per request, a bar from sent to
 * answered (to the right edge while still open), ticks for a stream's chunks and for what the
 * learner's client did, the moment the grader expected something marked. Zoomable with two
 * sliders; hovering, focusing or clicking a bar tells its request, status, times and body.
 */
import type { LastRun, LastRunFailure } from '../shared/last-run.ts';
import type { RecordedExchange, Recording } from '../shared/grading/recording.ts';
import { el } from './dom.ts';
import { language, t } from './i18n.ts';
import { Timeline, type Outcome } from './timeline.ts';

/** Lanes drawn at most: the exchanges nearest the failure (a report keeps up to 200). */
const MAX_LANES = 12;
/** The deepest zoom: 2^MAX_ZOOM times. */
const MAX_ZOOM = 6;

const ms = (at: number, fine = false) => t('lastRun.ms', { ms: fine ? Math.round(at * 10) / 10 : Math.round(at) });

/** How far an exchange is from a moment: 0 when it spans it. */
function distance(exchange: RecordedExchange, at: number): number {
  const stop = exchange.end ?? exchange.closedAt ?? Number.POSITIVE_INFINITY;
  return exchange.start <= at && at <= stop ? 0 : Math.min(Math.abs(exchange.start - at), Math.abs(stop - at));
}

/** The exchanges to draw: all, or the MAX_LANES nearest the expected moment (else the last ones), in time order. */
function lanesOf(recording: Recording): RecordedExchange[] {
  const { exchanges } = recording;
  if (exchanges.length <= MAX_LANES) return exchanges;
  const at = recording.expected?.at ?? Math.max(...exchanges.map((e) => e.end ?? e.closedAt ?? e.start));
  const nearest = new Set([...exchanges].sort((a, b) => distance(a, at) - distance(b, at) || b.start - a.start).slice(0, MAX_LANES));
  return exchanges.filter((exchange) => nearest.has(exchange));
}

function outcomeOf(exchange: RecordedExchange): Outcome | undefined {
  if (exchange.end !== undefined) return (exchange.status ?? 200) >= 500 ? 'error' : (exchange.status ?? 200) >= 400 ? 'refused' : 'message';
  return exchange.closedAt !== undefined ? 'aborted' : undefined;
}

/** An exchange in words: what was asked, when, how and when it was answered, what the answer said. */
function describeExchange(exchange: RecordedExchange): string {
  const parts = [t('lastRun.detail.sent', { label: exchange.label, at: ms(exchange.start, true) })];
  if (exchange.headersAt !== undefined && exchange.end !== exchange.headersAt) parts.push(t('lastRun.detail.firstByte', { at: ms(exchange.headersAt, true) }));
  if (exchange.end !== undefined) parts.push(t('lastRun.detail.answered', { status: exchange.status ?? '?', at: ms(exchange.end, true), took: ms(exchange.end - exchange.start, true) }));
  else if (exchange.closedAt !== undefined) parts.push(t('lastRun.detail.closed', { status: exchange.status ?? '—', at: ms(exchange.closedAt, true) }));
  else parts.push(t('lastRun.detail.open', { status: exchange.status ?? '—' }));
  if (exchange.chunks.length > 1) parts.push(t('lastRun.detail.chunks', { number: exchange.chunks.length }));
  const body = exchange.body.replace(/\s+/g, ' ').trim();
  parts.push(body ? t('lastRun.detail.body', { body }) : t('lastRun.detail.noBody'));
  return parts.join(t('lastRun.detail.separator'));
}

/** The timeline of a recording: a row per exchange drawn, and a last row for the learner's client when it did something. */
function timelineOf(recording: Recording): { timeline: Timeline; rows: string[]; from: number; to: number; drawn: number } {
  const lanes = lanesOf(recording);
  // The window is what is drawn: the lanes, your client's marks, the expected moment.
  const times = lanes.flatMap((e) => [e.start, e.headersAt, e.end, e.closedAt, ...e.chunks]).concat(recording.notes.map((n) => n.at), recording.expected?.at);
  const known = times.filter((time): time is number => time !== undefined);
  const first = known.length > 0 ? Math.min(...known) : 0;
  const last = known.length > 0 ? Math.max(...known) : 1;
  // A little room at both ends, so that the first and the last thing are not on the frame.
  const pad = Math.max(0.5, (last - first) * 0.04);
  const timeline = new Timeline();
  for (const [index, exchange] of lanes.entries()) {
    const bar = timeline.begin(index + 1, exchange.start);
    const outcome = outcomeOf(exchange);
    const stop = exchange.end ?? exchange.closedAt;
    if (outcome && stop !== undefined) timeline.end(bar, outcome, stop);
    if (exchange.status !== undefined) bar.status = exchange.status;
    bar.detail = describeExchange(exchange);
    // Chunks are ticks only on a stream: an answer sent in one piece has nothing to show.
    if (exchange.chunks.length > 1) for (const at of exchange.chunks) timeline.tick(index + 1, 'chunk', undefined, at);
  }
  const rows = lanes.map((exchange) => exchange.label);
  if (recording.notes.length > 0) {
    rows.push(t('lastRun.yourClient'));
    for (const note of recording.notes) timeline.tick(rows.length, 'learner', undefined, note.at);
  }
  if (recording.expected) timeline.expected = recording.expected;
  return { timeline, rows, from: Math.max(0, first - pad), to: last + pad, drawn: lanes.length };
}

/** What the drawing shows, in words: how many requests, those left out, what was expected, what the client did. */
function caption(recording: Recording, drawn: number): string[] {
  const lines = [t('lastRun.drawn', { number: drawn })];
  const more = recording.exchanges.length - drawn + recording.dropped;
  if (more > 0) lines.push(t('lastRun.more', { number: more }));
  if (recording.expected) lines.push(t('lastRun.expectedAt', { at: ms(recording.expected.at), what: recording.expected.what }));
  if (recording.notes.length > 0) {
    const counts = new Map<string, number>();
    for (const note of recording.notes) counts.set(note.label, (counts.get(note.label) ?? 0) + 1);
    lines.push(t('lastRun.clientDid', { what: [...counts].map(([label, count]) => (count > 1 ? `${label} ×${count}` : label)).join(', ') }));
  }
  return lines;
}

/** A failed test's timeline, its zoom, its legend-free caption, and the box that tells about the bar hovered or focused. */
function drawing(recording: Recording, id: string): HTMLElement {
  const { timeline, rows, from, to, drawn } = timelineOf(recording);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'timeline still');
  // A group, not an image: its bars can be focused.
  svg.setAttribute('role', 'group');
  svg.setAttribute('aria-label', t('lastRun.timelineLabel'));
  const detail = el('p', { className: 'exchange-detail', id: `${id}-detail` }, t('lastRun.hoverHint'));
  detail.setAttribute('aria-live', 'polite');
  const zoom = el('input', { type: 'range', id: `${id}-zoom`, min: '0', max: String(MAX_ZOOM), step: '1', value: '0' });
  const pan = el('input', { type: 'range', id: `${id}-pan`, min: '0', max: '1000', step: '1', value: '500', disabled: true });
  const full = Math.max(1e-3, to - from);
  // The window's middle: zooming in from the whole drawing goes to the expected moment.
  let centre = recording.expected?.at ?? (from + to) / 2;
  let start = from;
  const length = () => full / 2 ** Number(zoom.value);
  const draw = (): void => {
    const span = length();
    // A bar that has the focus keeps it when the drawing is made again (a zoom, a new width).
    const focused = svg.contains(document.activeElement) ? document.activeElement?.getAttribute('data-bar') : undefined;
    timeline.render(svg, rows, span, { from: start, to: start + span, axis: [ms(start, span < 20), ms(start + span, span < 20)], tickLabel: (at) => ms(at, span < 20), labelsAbove: true });
    if (focused != null) svg.querySelector<SVGElement>(`[data-bar="${focused}"]`)?.focus();
  };
  zoom.addEventListener('input', () => {
    const span = length();
    start = Math.min(Math.max(from, centre - span / 2), to - span);
    zoom.setAttribute('aria-valuetext', `×${2 ** Number(zoom.value)}`);
    pan.disabled = span >= full;
    pan.value = String(span >= full ? 500 : Math.round(((start - from) / (full - span)) * 1000));
    draw();
  });
  pan.addEventListener('input', () => {
    const span = length();
    start = from + (Number(pan.value) / 1000) * (full - span);
    centre = start + span / 2;
    draw();
  });
  zoom.setAttribute('aria-valuetext', '×1');
  const show = (event: Event): void => {
    const index = (event.target as Element).closest?.('[data-bar]')?.getAttribute('data-bar');
    if (index != null) detail.textContent = timeline.bars[Number(index)]?.detail ?? '';
  };
  // Drawn once it has a width, and again when that changes (a phone turned, a <details> opened).
  let width = -1;
  new ResizeObserver(() => {
    if (svg.clientWidth === width || svg.clientWidth === 0) return;
    width = svg.clientWidth;
    draw();
  }).observe(svg);
  const controls = el(
    'div',
    { className: 'zoom' },
    el('span', {}, el('label', { htmlFor: zoom.id }, t('lastRun.zoom')), zoom),
    el('span', {}, el('label', { htmlFor: pan.id }, t('lastRun.pan')), pan),
  );
  const box = el('div', { className: 'recording' }, controls, svg, detail, el('ul', { className: 'caption' }, ...caption(recording, drawn).map((line) => el('li', {}, line))));
  // On the box, not the drawing: Chromium makes an SVG element with focus listeners focusable itself.
  for (const type of ['pointerover', 'focusin', 'click']) box.addEventListener(type, show);
  return box;
}

/** What the colours and marks of a failure's timeline mean. */
function legend(): HTMLElement {
  const items: Array<[string, string]> = [
    ['message', 'answered'],
    ['refused', 'refused'],
    ['error', 'failed'],
    ['aborted', 'closed'],
    ['open', 'open'],
    ['mark chunk', 'chunk'],
    ['mark learner', 'note'],
    ['mark expected', 'expected'],
  ];
  return el('ul', { className: 'legend', ariaLabel: t('legend.label') }, ...items.map(([className, key]) => el('li', { className }, t(`lastRun.legend.${key}`))));
}

function failureView(failure: LastRunFailure, index: number, messageLanguage: string): HTMLElement {
  const message = el('pre', { className: 'failure-message', lang: messageLanguage }, failure.message ?? '');
  const parts: HTMLElement[] = [message];
  if (failure.timeline && (failure.timeline.exchanges.length > 0 || failure.timeline.notes.length > 0)) parts.push(drawing(failure.timeline, `failure-${index + 1}`));
  else parts.push(el('p', { className: 'summary' }, t('lastRun.noTimeline')));
  const title = el('span', { lang: messageLanguage }, failure.title);
  return el('details', { className: 'failure', open: index === 0 }, el('summary', {}, title), ...parts);
}

/** The section: the last run, `undefined` when the lesson has none, or why it could not be read. */
export function lastRunSection(number: number, run: LastRun | undefined | Error): HTMLElement {
  const section = el('section', { className: 'last-run', id: 'last-run' });
  const heading = el('h2', { id: 'last-run-heading' }, t('lastRun.heading'));
  section.setAttribute('aria-labelledby', heading.id);
  section.append(heading);
  if (run instanceof Error) {
    section.append(el('p', { className: 'note' }, t('lastRun.unreadable', { error: run.message })));
    return section;
  }
  if (!run) {
    section.append(el('p', { id: 'no-last-run' }, t('lastRun.none', { command: `npm run verify -- ${number}` })));
    return section;
  }
  const when = new Date(run.finishedAt).toLocaleString(language());
  section.append(el('p', { className: 'last-run-counts' }, t(run.failed === 0 ? 'lastRun.allPassed' : 'lastRun.counts', { when, passed: run.passed, failed: run.failed })));
  if (run.failed === 0) return section;
  if (run.timelinesLeftOut) section.append(el('p', { className: 'note' }, t('lastRun.leftOut', { number: run.timelinesLeftOut })));
  if (run.failures.some((failure) => failure.timeline)) section.append(legend());
  section.append(...run.failures.map((failure, index) => failureView(failure, index, run.language)));
  return section;
}
