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
import { parseArgs } from 'node:util';
import { listen } from '../http.ts';
import { localHosts } from '../serving.ts';
import { createWorkshop } from '../workshop-server.ts';

const usage = `Usage: npm start [-- options]

Serves the workshop site and every lesson's server from one process, on 127.0.0.1 only.

Options:
  --target lessons|solutions|DIR  whose code the lessons' APIs run (default: lessons, your code)
  --port N                        the port (default: $PORT or 4000; 0 picks a free one)
  --data DIR                      where lessons keep their files (default: the project, so data/chat.sqlite)
  --built                         serve the site built by \`npm run build\` instead of compiling it with Vite
  --host ADDR                     listen on ADDR instead of 127.0.0.1 and answer to the Host ADDR too:
                                  other machines that reach ADDR can then use the workshop and read the chat
  -h, --help                      print this and exit

Only requests whose Host is ${localHosts.join(', ')} (or the --host name) are answered.`;

function parse() {
  try {
    return parseArgs({
      options: {
        target: { type: 'string', default: 'lessons' },
        port: { type: 'string', default: process.env.PORT ?? '4000' },
        data: { type: 'string' },
        built: { type: 'boolean', default: false },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

const values = parse();
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d{1,5}$/.test(values.port) || port > 65535) {
  console.error(`--port must be a number from 0 to 65535, not "${values.port}".\n\n${usage}`);
  process.exit(2);
}
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
  const reason = code === 'EADDRINUSE' ? `port ${port} is taken: try \`npm start -- --port 4100\`` : (error as Error).message;
  console.error(`Cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${reason}.`);
  await workshop.close();
  process.exit(1);
}
// A scale demo's processes (lesson 09) start now, so that its page answers at once and the list below says what they run on.
await workshop.startProcesses();
console.log(`Comet Workshop: ${base}/  (the site; lessons run the code in ${values.target}/)\n`);
if (values.host) {
  console.warn(
    `Warning: listening on ${values.host}, not only on this machine (127.0.0.1): whoever can reach that address ` +
      `can use the lessons' APIs and read the chat. Requests must name the server as ${[...localHosts, values.host].join(', ')}.\n`,
  );
}
/** For a scale demo: what its processes run on, and whose code. */
function processesNote(slug: string): string {
  const view = workshop.clusters.get(slug)?.lessons.view();
  if (!view) return '';
  if (view.problem) return `  (its processes did not start: ${view.problem.split('\n')[0]})`;
  const on = view.mode === 'redis' ? `${view.processes.length} processes on a private redis-server` : `${view.processes.length} apps on a stand-in — ${view.note}`;
  return `  (${on}${view.fallback ? `; the reference solution: your code did not start: ${view.fallback.split('\n')[0]}` : ''})`;
}
for (const { lesson, apiPath, pagePath, problem, fallback } of mounted) {
  const note = problem ? `  (not loaded: ${problem})` : fallback ? `  (the reference solution: your code did not start: ${fallback})` : processesNote(lesson.slug);
  const where = `${base}${problem ? apiPath : (pagePath ?? apiPath)}${note}`;
  console.log(`  ${String(lesson.number).padStart(2, '0')} ${lesson.title.padEnd(46)} ${where}`);
}
if (mounted.some((m) => m.lesson.slug === '05-chat' && !m.problem)) {
  console.log('\nThe chat has two demo accounts, liger_zql and 漠然, password 12345: log in as each in its own tab.');
}
console.log(
  `\nYour server code (${values.target}/*/server.ts and what it imports) is loaded once, now: after you edit it, ` +
    'restart (Ctrl+C, then npm start) to serve the new code; until then the old code, or the reference solution, keeps answering. ' +
    'The pages and the client code are compiled afresh: reload the page.',
);
console.log('\nStop with Ctrl+C.');

async function stop(): Promise<void> {
  await workshop.close();
  await listening.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
