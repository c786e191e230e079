/** What the workshop server tells the site (see shared/workshop-server.ts). */
import type { Lesson } from '../shared/manifest.ts';
import type { LastRun } from '../shared/last-run.ts';
import type { Progress } from '../shared/progress.ts';
import { t } from './i18n.ts';

export interface MountedLesson extends Lesson {
  apiPath: string;
  referencePath?: string;
  pagePath?: string;
  problem?: string;
  fallback?: string;
  /** For a Bayeux demo: where the page loads its clients' code (Faye's browser client). */
  clientScript?: string;
  /** For a relay demo: why the learner's agent did not start (the reference's runs instead). */
  agentFallback?: string;
  /** For a relay demo: why no demo agent runs against the lesson's relay. */
  agentProblem?: string;
}

async function json<T>(path: string): Promise<T> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(t('errors.status', { what: path, status: response.status }));
  return (await response.json()) as T;
}

/** The lessons as mounted; `docs` says whether the reference documentation has been built (npm run docs). */
export const fetchLessons = () => json<{ target: string; docs: boolean; lessons: MountedLesson[] }>('/api/lessons');
export const fetchProgress = () => json<Progress>('/api/progress');

/** A lesson's text in `language` (README.<language>.md) when it has been translated, else in English: `language` says which came. */
export async function fetchLessonText(slug: string, language: string): Promise<{ text: string; language: string }> {
  const response = await fetch(`/api/lessons/${slug}/text?lang=${encodeURIComponent(language)}`);
  if (!response.ok) throw new Error(t('errors.textStatus', { slug, status: response.status }));
  return { text: await response.text(), language: response.headers.get('content-language') ?? 'en' };
}

/** bench/RESULTS.md, the last full benchmark run; undefined when there is none. */
export async function fetchBenchResults(): Promise<string | undefined> {
  const response = await fetch('/api/bench/RESULTS.md');
  return response.ok ? response.text() : undefined;
}

/** Where the benchmark chart is served, for the results' `chart.svg` image. */
export const benchChartUrl = '/api/bench/chart.svg';

/** The lesson's last `npm run verify` (shared/last-run.ts); undefined when it has none (asked for only when the list names it). */
export async function fetchLastRun(slug: string): Promise<LastRun | undefined> {
  const { lessons } = await json<{ lessons: string[] }>('/api/last-run');
  if (!lessons.includes(slug)) return undefined;
  const response = await fetch(`/api/last-run/${encodeURIComponent(slug)}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(t('errors.status', { what: `/api/last-run/${slug}`, status: response.status }));
  return (await response.json()) as LastRun;
}
