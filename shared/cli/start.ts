/**
 * `npm start [-- --target lessons|solutions|DIR] [--port N] [--data DIR] [--built] [--host ADDR]`:
 * serves the site and every lesson's server (the learner's by default) from one process, on
 * 127.0.0.1 only, and prints where. `--data` is where lessons keep their files (default: the
 * project, so `data/chat.sqlite`); `--built` serves the site built by `npm run build` instead
 * of compiling it on the fly; `--host` listens on another address instead (with a warning)
 * and accepts that name in the Host header. `--help` prints the usage.
 *
 * @module
 */
import path from 'node:path';
import { lessonText } from '../i18n/index.ts';
import { listen } from '../http.ts';
import { localHosts } from '../serving.ts';
import { createWorkshop } from '../workshop-server.ts';
import { padColumns } from '../columns.ts';
import { parseCommand } from './args.ts';

const command = parseCommand(process.argv.slice(2), {
  options: {
    target: { type: 'string', default: 'lessons' },
    port: { type: 'string', default: process.env.PORT ?? '4000' },
    data: { type: 'string' },
    built: { type: 'boolean', default: false },
    host: { type: 'string' },
  },
  usage: (t) => t('cli:start.usage', { hosts: localHosts.join(', ') }),
});
const { values, t } = command;
const port = Number(values.port);
if (!/^\d{1,5}$/.test(values.port) || port > 65535) command.fail(t('cli:start.badPort', { port: values.port }));
const hosts = values.host ? [values.host] : [];

const workshop = await createWorkshop({ target: values.target, built: values.built, hosts, ...(values.data ? { dataRoot: path.resolve(values.data) } : {}) });
const { app, mounted } = workshop;
let base: string;
let listening: Awaited<ReturnType<typeof listen>>;
try {
  listening = await listen(app, port, values.host ?? '127.0.0.1');
  base = listening.url;
} catch (error) {
  const code = (error as { code?: string }).code;
  const reason = code === 'EADDRINUSE' ? t('cli:start.portTaken', { port }) : (error as Error).message;
  console.error(t('cli:start.cannotListen', { address: `${values.host ?? '127.0.0.1'}:${port}`, reason }));
  await workshop.close();
  process.exit(1);
}
// A scale demo's processes (lesson 09) start now, so that its page answers at once and the list below says what they run on.
await workshop.startProcesses();
console.log(`${t('cli:start.banner', { url: `${base}/`, target: `${values.target}/` })}\n`);
if (values.host) {
  console.warn(`${t('cli:start.hostWarning', { host: values.host, names: [...localHosts, values.host].join(', ') })}\n`);
}
/** For a scale demo: what its processes run on, and whose code. */
function processesNote(slug: string): string {
  const view = workshop.clusters.get(slug)?.lessons.view();
  if (!view) return '';
  if (view.problem) return `  ${t('cli:start.processesFailed', { problem: view.problem.split('\n')[0] })}`;
  const on = view.mode === 'redis' ? t('cli:start.onRedis', { count: view.processes.length }) : t('cli:start.onStandIn', { count: view.processes.length, note: view.note });
  const fallback = view.fallback ? t('cli:start.processesFallback', { problem: view.fallback.split('\n')[0] }) : '';
  return `  ${t('cli:start.processes', { on, fallback })}`;
}
for (const { lesson, apiPath, pagePath, problem, fallback } of mounted) {
  const note = problem ? `  ${t('cli:start.notLoaded', { problem })}` : fallback ? `  ${t('cli:start.fallback', { problem: fallback })}` : processesNote(lesson.slug);
  const where = `${base}${problem ? apiPath : (pagePath ?? apiPath)}${note}`;
  console.log(`  ${String(lesson.number).padStart(2, '0')} ${padColumns(lessonText(t, lesson, 'title'), 46)} ${where}`);
}
if (mounted.some((m) => m.lesson.slug === '05-chat' && !m.problem)) {
  console.log(`\n${t('cli:start.demoAccounts')}`);
}
console.log(`\n${t('cli:start.reload', { target: values.target })}`);
console.log(`\n${t('cli:start.stop')}`);

async function stop(): Promise<void> {
  await workshop.close();
  await listening.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
