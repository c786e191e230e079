/// <reference types="vite/client" />
/**
 * The live demo of a lesson: three simulated clients running the lesson's own client code
 * (the learner's, or the reference solution's), a box to post messages, and the timeline of
 * their requests. Requests are recorded by wrapping fetch: each client has its own API prefix
 * (`/lessons/<slug>/c/<n>/api`), so the wrapper knows whose request it sees.
 *
 * A demo of several server processes (lesson 09) runs the same clients with {@link DemoOptions}:
 * the wrapper is then the load balancer too, and sends each poll to the process the page chose
 * for its client, drawn on that process's timeline.
 */
import type { ClientDemo } from '../shared/manifest.ts';
import { t } from './i18n.ts';
import { Timeline, type Outcome } from './timeline.ts';

const CLIENTS = 3;

/** The lessons' client modules, compiled by Vite, loaded when a demo starts. */
const clientModules = import.meta.glob<Record<string, unknown>>(['/lessons/*/client.ts', '/solutions/*/client.ts']);

export interface RunningDemo {
  readonly timeline: Timeline;
  /** Messages delivered to each client (index = client number - 1). */
  readonly delivered: number[];
  /** How many clients run: one row of the timeline each. */
  readonly clients: number;
  readonly root: 'lessons' | 'solutions';
  /** Settles once the clients are ready for messages (subscribed, for a Bayeux demo). */
  readonly ready: Promise<void>;
  stop(): void;
  post(text: string): Promise<void>;
}

/** Where a client's poll goes instead of its own prefix, and the timeline that draws it. */
export interface Route {
  /** An API prefix, e.g. `/lessons/09-scale-out/p/A/api`. */
  readonly api: string;
  readonly timeline: Timeline;
}

/** For a demo whose clients poll another lesson's server, through a load balancer the page plays. */
export interface DemoOptions {
  /** The lesson whose server the clients poll (default: the lesson whose client code they run). */
  readonly server?: string;
  /** Where client `n`'s next poll goes; asked for each poll. Default: its own prefix, on the demo's timeline. */
  readonly route?: (client: number) => Route;
  /** Every message delivered, with its client's number, in the order delivered. */
  readonly onMessage?: (client: number, message: unknown) => void;
  /** Every poll once it ended, with where it went and how it ended. */
  readonly onPoll?: (client: number, api: string | undefined, outcome: Outcome) => void;
}

interface Active {
  /** The lesson whose server the clients poll. */
  server: string;
  demo: ClientDemo;
  timeline: Timeline;
  listLengths: Map<number, number>;
  options: DemoOptions;
}

let active: Active | undefined;
const plainFetch = window.fetch.bind(window);

function classify(a: Active, client: number, response: Response, body: unknown): Outcome {
  if (!response.ok) return 'error';
  const answer = body as { status?: string; message?: unknown; messages?: unknown[] } | undefined;
  if (a.demo.answers === 'list') {
    const length = answer?.messages?.length ?? 0;
    const before = a.listLengths.get(client) ?? 0;
    a.listLengths.set(client, length);
    return length > before ? 'message' : 'empty';
  }
  if (a.demo.answers === 'message') return answer?.message ? 'message' : 'empty';
  switch (answer?.status) {
    case 'message':
    case 'messages':
      return 'message';
    case 'timeout':
      return 'timeout';
    case 'cancelled':
      return 'cancelled';
    case 'gap':
      return 'gap';
    default:
      return 'empty';
  }
}

/** The wrapper: records the demo clients' polls, passes everything else through untouched. */
window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const a = active;
  const url = new URL(input instanceof Request ? input.url : String(input), location.href);
  const match = a && new RegExp(`^/(?:lessons|solutions)/${a.server}/c/(\\d+)/api${a.demo.pollPath}$`).exec(url.pathname);
  if (!a || !match) return plainFetch(input, init);
  const client = Number(match[1]);
  const route = a.options.route?.(client);
  const timeline = route?.timeline ?? a.timeline;
  const sent = route ? `${route.api}${a.demo.pollPath}${url.search}` : input;
  const bar = timeline.begin(client);
  const ended = (outcome: Outcome): void => {
    timeline.end(bar, outcome);
    a.options.onPoll?.(client, route?.api, outcome);
  };
  try {
    const response = await plainFetch(sent, init);
    const body: unknown = await response.clone().json().catch(() => undefined);
    ended(classify(a, client, response, body));
    return response;
  } catch (error) {
    ended((error as Error).name === 'AbortError' ? 'aborted' : 'error');
    throw error;
  }
};

/**
 * Starts the demo. `root` picks the server (`lessons`: the workshop's target, `solutions`: the
 * reference); `clientFrom` the folder whose client.ts the clients run.
 */
export async function startDemo(slug: string, demo: ClientDemo, root: 'lessons' | 'solutions', clientFrom: 'lessons' | 'solutions', options: DemoOptions = {}): Promise<RunningDemo> {
  const load = clientModules[`/${clientFrom}/${slug}/client.ts`];
  if (!load) throw new Error(t('errors.noFile', { file: 'client.ts', folder: `${clientFrom}/${slug}` }));
  const module = await load();
  const start = module[demo.start];
  if (typeof start !== 'function') throw new Error(t('errors.noExport', { file: `${clientFrom}/${slug}/client.ts`, name: `${demo.start}()` }));
  const timeline = new Timeline();
  const server = options.server ?? slug;
  active = { server, demo, timeline, listLengths: new Map(), options };
  const delivered = Array.from({ length: CLIENTS }, () => 0);
  const pollers: Array<{ stop?: () => void } | undefined> = [];
  for (let client = 1; client <= CLIENTS; client++) {
    pollers.push(
      start({
        ...demo.options,
        baseUrl: `/${root}/${server}/c/${client}/api`,
        onMessage: (message: unknown) => {
          delivered[client - 1]!++;
          options.onMessage?.(client, message);
        },
        onError: () => undefined,
      }) as { stop?: () => void } | undefined,
    );
  }
  return {
    timeline,
    delivered,
    clients: CLIENTS,
    root,
    ready: Promise.resolve(),
    stop() {
      for (const poller of pollers) poller?.stop?.();
    },
    async post(text: string) {
      timeline.posts.push(performance.now());
      const response = await plainFetch(`/${root}/${server}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      if (!response.ok) throw new Error(((await response.json().catch(() => ({}))) as { error?: string }).error ?? t('errors.statusOnly', { status: response.status }));
    },
  };
}
