/**
 * A recording (recording.ts) drawn as text, under a failed test's message: one lane per
 * request, time running left to right, the moment the grader expected something marked.
 *
 *     timeline             0 ms ······································ 412 ms
 *     GET /poll?after=0    o|200 []
 *     POST /messages                                 o|201 {"id":1,"text":"hi"}
 *     GET /poll?after=0     o=====================================|200 [{"id":1…
 *     your client                                      +
 *                                                      ^ expected: an answer to the held poll
 *
 * `o` the request left, `-` waiting for the answer's first byte, `=` the answer flowing (a
 * stream), `*` a chunk of a stream, `|` the answer ended, `x` aborted or closed unanswered,
 * `>` still open when the test ended, `+` something your client did. Bounded: at most
 * MAX_LANES lanes and `width` columns whatever the recording holds.
 *
 * @module
 */
import { columns } from '../columns.ts';
import { translator, type Translate } from '../i18n/index.ts';
import { nearestExchanges, type RecordedExchange, type Recording } from './recording.ts';

export const MAX_LANES = 10;
const LABEL_WIDTH = 20;

/** Colours for a terminal (report.ts's styleFor); without it, plain ASCII. */
export interface TimelineStyle {
  bar(text: string): string;
  marker(text: string): string;
}

const plain: TimelineStyle = { bar: (text) => text, marker: (text) => text };

function clip(text: string, width: number): string {
  if (columns(text) <= width) return text;
  let kept = '';
  for (const ch of text) {
    if (columns(kept + ch) > width - 1) break;
    kept += ch;
  }
  return `${kept}…`;
}

/** The words of the drawing come from the catalog (`grading:timeline.*`); English when no translator is given. */
let english: Translate | undefined;

function oneLine(body: string): string {
  return body.replace(/\s+/g, ' ').trim();
}

/** `178 × GET /poll (200), 2 × POST /messages (201)`: what was left out, grouped. */
function summarise(left: readonly RecordedExchange[]): string {
  const groups = new Map<string, number>();
  for (const exchange of left) {
    const key = `${exchange.label.split('?')[0]} (${exchange.status ?? (exchange.closedAt !== undefined ? 'closed' : 'open')})`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${count} × ${key}`).join(', ');
}

function answer(exchange: RecordedExchange): string {
  if (exchange.status === undefined) return exchange.closedAt !== undefined ? 'closed' : '';
  const body = oneLine(exchange.body);
  return body ? `${exchange.status} ${body}` : String(exchange.status);
}

/** Writes `text` into `cells` from column `from`, never past the end. */
function put(cells: string[], from: number, text: string): void {
  for (let i = 0; i < text.length && from + i < cells.length; i++) if (from + i >= 0) cells[from + i] = text[i]!;
}

function lane(exchange: RecordedExchange, column: (t: number) => number, width: number): string {
  const cells = Array<string>(width).fill(' ');
  const from = column(exchange.start);
  const stop = exchange.end ?? exchange.closedAt;
  const to = stop === undefined ? width - 1 : column(stop);
  const firstByte = exchange.headersAt === undefined ? to : column(exchange.headersAt);
  for (let c = from + 1; c < to; c++) cells[c] = c < firstByte ? '-' : '=';
  // Chunks are ticks only on a stream: an answer sent in one piece has nothing to show.
  for (const chunk of exchange.chunks.length > 1 ? exchange.chunks : []) {
    const c = column(chunk);
    if (c > from && c < to) cells[c] = '*';
  }
  cells[from] = 'o';
  if (to > from) cells[to] = stop === undefined ? '>' : exchange.end !== undefined ? '|' : 'x';
  else if (stop !== undefined) cells[from] = exchange.end !== undefined ? '|' : 'x';
  const said = answer(exchange);
  if (said && to + 1 < width) put(cells, to + 1, clip(said, width - to - 1));
  else if (said && from > said.length + 1) put(cells, from - said.length - 1, said);
  return cells.join('').trimEnd();
}

/**
 * The recording as at most about 15 lines of at most `width` columns. Empty when nothing
 * was recorded.
 */
export function renderTimeline(recording: Recording, width = 70, style: TimelineStyle = plain, t?: Translate): string {
  const translate = t ?? (english ??= translator('en'));
  const say = (key: string, values: Record<string, string | number> = {}): string => translate(key, values);
  const row = (label: string, bar: string): string => {
    const shown = clip(label, LABEL_WIDTH);
    return `${shown}${' '.repeat(LABEL_WIDTH - columns(shown))} ${bar}`.trimEnd();
  };
  const times = recording.exchanges.flatMap((e) => [e.start, e.end ?? e.closedAt ?? e.start]).concat(recording.notes.map((n) => n.at));
  if (recording.expected) times.push(recording.expected.at);
  if (recording.exchanges.length === 0 && recording.notes.length === 0) {
    // Nothing at all can be the story: a client that never sent its request.
    if (!recording.awaitsClient || !recording.expected) return '';
    const expected = say('grading:timeline.expected', { at: Math.round(recording.expected.at), what: oneLine(recording.expected.what) });
    return [say('grading:timeline.noClientRequest'), expected].map((line) => clip(line, width)).join('\n');
  }
  // The window is what happened, not the test's setup before it (starting a server takes time).
  const first = Math.min(...times);
  const span = Math.max(1, ...times);
  const length = Math.max(1, span - first);
  const barWidth = width - LABEL_WIDTH - 1;
  const column = (t: number): number => Math.min(barWidth - 1, Math.max(0, Math.round(((t - first) / length) * (barWidth - 1))));
  const axisStart = `${Math.round(first)} ms`;
  const axisEnd = `${Math.round(span)} ms`;
  const lines = [row(say('grading:timeline.title'), `${axisStart} ${'·'.repeat(Math.max(1, barWidth - axisStart.length - axisEnd.length - 2))} ${axisEnd}`)];

  const shown = nearestExchanges(recording, MAX_LANES, span);
  for (const exchange of shown) lines.push(row(exchange.label, lane(exchange, column, barWidth)));
  const left = recording.exchanges.filter((exchange) => !shown.includes(exchange));
  const unrecorded = recording.dropped > 0 ? say('grading:timeline.unrecorded', { count: recording.dropped }) : '';
  if (left.length > 0 || unrecorded) lines.push(clip(`${say('grading:timeline.more', { count: left.length, groups: summarise(left) })}${unrecorded}`, width));

  if (recording.notes.length > 0) {
    const cells = Array<string>(barWidth).fill(' ');
    for (const note of recording.notes) cells[column(note.at)] = '+';
    // What the + marks are, after the last one (cut when the lane is full).
    const kinds = [...new Set(recording.notes.map((n) => n.label))];
    const last = column(Math.max(...recording.notes.map((n) => n.at)));
    put(cells, last + 2, clip(kinds.join(', '), Math.max(0, barWidth - last - 2)));
    lines.push(row(say('grading:timeline.client'), cells.join('').trimEnd()));
  }
  const expectedText = recording.expected ? say('grading:timeline.expected', { at: Math.round(recording.expected.at), what: oneLine(recording.expected.what) }) : '';
  const marker = recording.expected ? expectedLines(expectedText, column(recording.expected.at), barWidth, width) : [];
  lines.push(...marker);
  const markerFrom = lines.length - marker.length;
  // Colour goes on last, so that escape codes never count as columns.
  return lines
    .map((line) => clip(line, width))
    .map((line, i) => (i >= markerFrom ? style.marker(line) : line.replace(/(?<=o)[-=*]+(?=[|x>])/g, (run) => style.bar(run))))
    .join('\n');
}

/** The `^` under the expected moment, with its words beside it, or on the next line when they do not fit. */
function expectedLines(text: string, c: number, barWidth: number, width: number): string[] {
  const indent = ' '.repeat(LABEL_WIDTH + 1);
  const size = columns(text);
  if (c + 2 + size <= barWidth) return [`${indent}${' '.repeat(c)}^ ${text}`];
  if (c >= size + 1) return [`${indent}${' '.repeat(c - size - 1)}${text} ^`];
  return [`${indent}${' '.repeat(c)}^`, `${' '.repeat(Math.max(0, width - size))}${text}`];
}
