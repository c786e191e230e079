/**
 * The live demo of a scale lesson (09): the lesson's server as several processes on one broker
 * (a private redis-server, or the stand-in when none is installed), each drawn as a lane with
 * the timeline of the polls it answered.
 *
 * The clients are lesson 04's (its client.ts, as site/demo.ts runs it: lesson 09's API is
 * exactly lesson 04's), one per process to begin with. The page plays the load balancer: each
 * poll of a client goes to the process chosen for it (`/<root>/<slug>/p/<name>/api`). When a
 * poll fails because its process died, the client is moved to a running process, a tick marks
 * the move on that process's lane, and its next poll, with the last id it has, resumes there:
 * each client's received list shows every message once, in order. "kill -9" asks the workshop
 * to kill that process (`POST …/p/<name>/kill`); it starts it again a few seconds later.
 */
import type { ClientDemo, ScaleDemo } from '../shared/manifest.ts';
import type { ClusterView, ProcessView } from '../shared/scale-demo.ts';
import type { MountedLesson } from './api.ts';
import { startDemo, type RunningDemo } from './demo.ts';
import { chosenRoot, clientFolder, demoFrame, el, timelineSvg, whoseCode, type Root } from './dom.ts';
import { t } from './i18n.ts';
import { Timeline, outcomes, scaleTickKinds } from './timeline.ts';

/** Lesson 09's API is lesson 04's (its contract), so the page's clients run lesson 04's client. */
export const CLIENT_LESSON = '04-resume';
/** How often the page asks the workshop how the processes are. */
const STATUS_MS = 1000;
/** How long a process whose poll failed counts as down, unless the workshop says it started again. */
const SUSPECT_MS = 5000;
/** Lines each received list keeps. */
const SHOWN = 100;
/** Lines the list of what happened keeps. */
const EVENTS = 20;

/** A message as a client received it. */
export interface Received {
  readonly id: number;
  readonly text: string;
}

/** A client's move from a process that died to another. */
export interface Move {
  readonly client: number;
  readonly from: string;
  readonly to: string;
  /** The last message id the client had: it resumes after it. */
  readonly after: number;
}

interface Lane {
  readonly name: string;
  readonly timeline: Timeline;
  readonly svg: SVGSVGElement;
  readonly state: HTMLElement;
  readonly clients: HTMLElement;
  readonly summary: HTMLElement;
  readonly kill: HTMLButtonElement;
  view?: ProcessView;
  /** Set when a poll to it failed: it counts as down until `until`, unless a new start of it is seen. */
  suspect?: { generation: number; until: number };
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? t('errors.statusOnly', { status: response.status }));
  return body;
}

/** A process's state in words. */
function stateText(view: ProcessView | undefined, mode: ClusterView['mode'] | undefined): string {
  if (!view) return t('scale.notStarted');
  const back = view.restartAt === undefined ? '' : t('scale.startsAgain', { seconds: Math.max(0, Math.ceil((view.restartAt - Date.now()) / 1000)) });
  switch (view.state) {
    case 'running':
      return mode === 'stand-in' ? t('scale.runningStandIn', { generation: view.generation }) : t('scale.runningPid', { pid: view.pid ?? '?' });
    case 'starting':
      return t('scale.starting');
    case 'killed':
      return t('scale.killed', { back });
    case 'exited':
      return t('scale.exited', { problem: view.problem ?? '?', back });
    default:
      return t('scale.failed', { problem: view.problem ?? '?' });
  }
}

/**
 * The demo section of a scale lesson's page; `clientLesson` is lesson 04 (whose client the page
 * runs), `keepStop` is given what stops the demo when the page changes.
 */
export function scaleSection(lesson: MountedLesson, demo: ScaleDemo, target: string, clientLesson: MountedLesson | undefined, keepStop: (stop: () => void) => void): HTMLElement {
  const slug = lesson.slug;
  const names = demo.processes;
  const clientDemo = clientLesson?.demo && (clientLesson.demo.kind ?? 'client') === 'client' ? (clientLesson.demo as ClientDemo) : undefined;
  const status = el('p', { className: 'status', role: 'status' });
  const happened = el('ol', { className: 'scale-events', id: 'scale-events', ariaLabel: t('scale.happenedLabel'), tabIndex: 0 });
  /** A kill, a move, a restart: said in the status line, and kept in the list of what happened (they can come close together). */
  const tell = (line: string): void => {
    status.textContent = line;
    happened.append(el('li', {}, line));
    while (happened.children.length > EVENTS) happened.firstElementChild!.remove();
  };
  const mode = el('p', { className: 'scale-mode', id: 'scale-mode' });
  const whose = whoseCode(target);
  const toggle = el('button', { type: 'button', id: 'demo-toggle' }, t('demo.start'));
  const text = el('input', { id: 'demo-text', value: 'hello', maxLength: 500, required: true });
  const through = el('select', { id: 'scale-through' }, el('option', { value: '' }, t('scale.anyProcess')), ...names.map((name) => el('option', { value: name }, t('scale.process', { name }))));
  const postForm = el(
    'form',
    { className: 'post' },
    el('label', { htmlFor: 'demo-text' }, t('demo.message')),
    text,
    el('label', { htmlFor: 'scale-through' }, t('scale.through')),
    through,
    el('button', { type: 'submit' }, t('demo.post')),
  );

  const lanes = new Map<string, Lane>();
  const laneElements = names.map((name) => {
    const lane: Lane = {
      name,
      timeline: new Timeline(),
      svg: timelineSvg(),
      state: el('span', { className: 'process-state' }),
      clients: el('span', { className: 'process-clients' }),
      summary: el('p', { className: 'summary' }),
      kill: el('button', { type: 'button', className: 'kill', disabled: true, ariaLabel: t('scale.killLabel', { name }) }, t('scale.kill')),
    };
    lane.svg.setAttribute('aria-label', t('scale.svgLabel', { name }));
    lanes.set(name, lane);
    return el('section', { className: 'lane', id: `lane-${name}`, ariaLabel: t('scale.processHeading', { name }) }, el('header', {}, el('h3', {}, t('scale.processHeading', { name })), lane.state, lane.clients, lane.kill), lane.svg, lane.summary);
  });

  let running: RunningDemo | undefined;
  let root: Root = 'lessons';
  let cluster: ClusterView | undefined;
  let redraw: ReturnType<typeof setInterval> | undefined;
  let refresher: ReturnType<typeof setInterval> | undefined;
  /** The process each client polls, by client number - 1. */
  let assigned: string[] = [];
  let received: Received[][] = [];
  let moves: Move[] = [];
  const lists: HTMLOListElement[] = [];
  const listHeadings: HTMLElement[] = [];
  const receivedColumns = el('div', { className: 'received-lists' });

  const up = (lane: Lane): boolean => {
    const view = lane.view;
    if (view?.state !== 'running') return false;
    const suspect = lane.suspect;
    return !(suspect && suspect.generation === view.generation && performance.now() < suspect.until);
  };

  const showCluster = (view: ClusterView): void => {
    cluster = view;
    for (const process of view.processes) {
      const lane = lanes.get(process.name);
      if (!lane) continue;
      // Running again: a later start than the one the page saw running (it may have seen it starting in between).
      const again = running && lane.view && process.state === 'running' && process.generation > 1 && (lane.view.state !== 'running' || process.generation > lane.view.generation);
      lane.view = process;
      if (again) tell(t('scale.runsAgain', { name: process.name, generation: process.generation, pid: process.pid === undefined ? '' : t('scale.pid', { pid: process.pid }) }));
    }
    const parts: string[] = [];
    if (view.mode === 'stand-in') parts.push(t('scale.standIn', { note: view.note ?? 'stand-in', why: view.why ? ` (${view.why})` : '', count: names.length }));
    else parts.push(t('scale.redis', { count: names.length, broker: view.broker }));
    if (view.fallback) parts.push(t('scale.fallback', { problem: view.fallback }));
    if (view.problem) parts.push(t('scale.problem', { problem: view.problem }));
    mode.textContent = parts.join(' ');
    mode.className = view.mode === 'stand-in' || view.fallback || view.problem ? 'scale-mode note' : 'scale-mode';
    drawLanes();
  };

  const drawLanes = (): void => {
    for (const lane of lanes.values()) {
      lane.state.textContent = stateText(lane.view, cluster?.mode);
      const here = assigned.flatMap((name, index) => (name === lane.name ? [index + 1] : []));
      lane.clients.textContent = running ? (here.length ? t('scale.clientsHere', { clients: here.join(', ') }) : t('scale.noClientsHere')) : '';
      lane.kill.disabled = !running || lane.view?.state !== 'running';
    }
    assigned.forEach((name, index) => (listHeadings[index]!.textContent = t('scale.clientHeading', { client: index + 1, name })));
  };

  const fetchCluster = async (from: Root): Promise<ClusterView> => answer<ClusterView>(await fetch(`/${from}/${slug}/processes`, { cache: 'no-store' }));

  /** A client's poll to `name` failed: unless it has moved already, it moves to a process that runs (the next one after it). */
  const pollFailed = (client: number, name: string): void => {
    const lane = lanes.get(name);
    if (lane) lane.suspect = { generation: lane.view?.generation ?? 0, until: performance.now() + SUSPECT_MS };
    if (assigned[client - 1] !== name) return;
    const start = names.indexOf(name);
    const next = names.map((_, step) => names[(start + step + 1) % names.length]!).find((candidate) => candidate !== name && up(lanes.get(candidate)!));
    if (!next) return; // none runs: the client retries where it is, backing off
    assigned[client - 1] = next;
    const after = received[client - 1]!.at(-1)?.id ?? 0;
    moves.push({ client, from: name, to: next, after });
    lanes.get(next)!.timeline.tick(client, 'moved');
    tell(t('scale.moved', { client, from: name, to: next, after }));
    drawLanes();
  };

  const onMessage = (client: number, message: unknown): void => {
    const { id, text: body } = message as { id?: unknown; text?: unknown };
    const item: Received = { id: typeof id === 'number' ? id : Number.NaN, text: typeof body === 'string' ? body : JSON.stringify(message) };
    received[client - 1]!.push(item);
    const list = lists[client - 1]!;
    list.append(el('li', {}, `#${item.id} ${item.text}`));
    while (list.children.length > SHOWN) list.firstElementChild!.remove();
  };

  const stop = (): void => {
    running?.stop();
    running = undefined;
    clearInterval(redraw);
    clearInterval(refresher);
    toggle.textContent = t('demo.start');
    drawLanes();
  };
  keepStop(stop);

  const refresh = async (): Promise<void> => {
    try {
      showCluster(await fetchCluster(root));
    } catch (error) {
      mode.textContent = t('scale.statusFailed', { error: (error as Error).message });
    }
  };

  const draw = (): void => {
    for (const lane of lanes.values()) {
      lane.timeline.render(lane.svg, running?.clients ?? 3);
      const moved = lane.timeline.ticks.filter((tick) => tick.kind === 'moved').length;
      lane.summary.textContent = t('scale.laneSummary', { name: lane.name, summary: lane.timeline.summary(t('timeline.polls')), moved });
    }
  };

  toggle.addEventListener('click', async () => {
    if (running) return stop();
    if (!clientDemo) {
      status.textContent = t('scale.noClients', { lesson: CLIENT_LESSON });
      return;
    }
    root = chosenRoot(whose);
    toggle.disabled = true;
    status.textContent = t('scale.starting2', { whom: root === 'lessons' ? t('whose.your') : t('whose.theReference'), names: names.join(', ') });
    try {
      showCluster(await fetchCluster(root));
      if (cluster?.problem) throw new Error(cluster.problem);
      assigned = Array.from({ length: 3 }, (_, index) => names[index % names.length]!);
      received = assigned.map(() => []);
      moves = [];
      for (const lane of lanes.values()) {
        lane.timeline.bars.length = 0;
        lane.timeline.ticks.length = 0;
        lane.timeline.posts.length = 0;
        lane.suspect = undefined;
      }
      lists.length = 0;
      listHeadings.length = 0;
      happened.replaceChildren();
      receivedColumns.replaceChildren(
        ...assigned.map((_, index) => {
          const heading = el('h4', {});
          const list = el('ol', { className: 'received', id: `scale-received-${index + 1}`, ariaLabel: t('scale.receivedLabel', { client: index + 1 }), tabIndex: 0 });
          listHeadings.push(heading);
          lists.push(list);
          return el('div', { className: 'received-column' }, heading, list);
        }),
      );
      running = await startDemo(CLIENT_LESSON, clientDemo, root, clientFolder(root, target), {
        server: slug,
        route: (client) => {
          const name = assigned[client - 1]!;
          return { api: `/${root}/${slug}/p/${name}/api`, timeline: lanes.get(name)!.timeline };
        },
        onMessage,
        onPoll: (client, api, outcome) => {
          const name = api && /\/p\/([^/]+)\/api$/.exec(api)?.[1];
          if (name && outcome === 'error') pollFailed(client, name);
        },
      });
      (window as unknown as { __scale: unknown }).__scale = {
        lanes: Object.fromEntries([...lanes].map(([name, lane]) => [name, lane.timeline])),
        received,
        assigned,
        moves,
        cluster: () => cluster,
      };
      status.textContent = t('scale.runningClients', { count: running.clients, lesson: CLIENT_LESSON, where: assigned.map((name, index) => t('scale.clientOn', { client: index + 1, name })).join(', ') });
      toggle.textContent = t('demo.stop');
      redraw = setInterval(draw, 100);
      refresher = setInterval(() => void refresh(), STATUS_MS);
      drawLanes();
    } catch (error) {
      status.textContent = t('demo.couldNotStart', { error: (error as Error).message });
    } finally {
      toggle.disabled = false;
    }
  });

  postForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!running) {
      status.textContent = t('demo.startFirst');
      return;
    }
    const message = text.value;
    const candidates = [...lanes.values()].filter(up).map((lane) => lane.name);
    const name = through.value || candidates[Math.floor(Math.random() * candidates.length)] || names[0]!;
    for (const lane of lanes.values()) lane.timeline.posts.push(performance.now());
    try {
      const posted = await answer<{ id: number }>(await fetch(`/${root}/${slug}/p/${name}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: message }) }));
      status.textContent = t('scale.posted', { text: message, name, id: posted.id });
    } catch (error) {
      status.textContent = t('scale.postFailed', { name, error: (error as Error).message });
    }
  });

  for (const lane of lanes.values()) {
    lane.kill.addEventListener('click', async () => {
      lane.kill.disabled = true;
      try {
        const killed = await answer<{ pid?: number; restartInMs: number }>(
          await fetch(`/${root}/${slug}/p/${lane.name}/kill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
        );
        lane.suspect = { generation: lane.view?.generation ?? 0, until: performance.now() + SUSPECT_MS };
        tell(t('scale.killedTold', { name: lane.name, pid: killed.pid === undefined ? '' : t('scale.pid', { pid: killed.pid }), seconds: killed.restartInMs / 1000 }));
        await refresh();
      } catch (error) {
        status.textContent = t('scale.killFailed', { name: lane.name, error: (error as Error).message });
        drawLanes();
      }
    });
  }

  // Say at once what the processes run on (this starts them, so that the demo starts quickly).
  void refresh().then(() => {
    if (!running) clearInterval(refresher);
  });

  const legend = el(
    'ul',
    { className: 'legend', ariaLabel: t('legend.label') },
    el('li', { className: 'open' }, t('legend.open')),
    ...(['message', 'timeout', 'gap', 'error', 'aborted'] as const).map((key) => el('li', { className: key }, key === 'error' ? t('scale.diedLegend') : outcomes[key])),
    ...Object.entries(scaleTickKinds).map(([key, label]) => el('li', { className: `mark ${key}` }, label)),
  );
  const intro = t('scale.intro', { count: names.length, names: names.join(', '), lesson: CLIENT_LESSON });
  return demoFrame(
    intro,
    whose,
    [toggle, postForm],
    status,
    mode,
    el('div', { className: 'lanes' }, ...laneElements),
    legend,
    el('h3', {}, t('scale.happenedHeading')),
    happened,
    el('h3', {}, t('scale.receivedHeading')),
    receivedColumns,
  );
}
