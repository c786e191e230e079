/**
 * `npm start [-- --target lessons|solutions|DIR] [--port N] [--data DIR] [--built]`: serves the
 * site and every lesson's server (the learner's by default) from one process, and prints where.
 * `--data` is where lessons keep their files (default: the project, so `data/chat.sqlite`);
 * `--built` serves the site built by `npm run build` instead of compiling it on the fly.
 *
 * @module
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listen } from '../http.ts';
import { createWorkshop } from '../workshop-server.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'lessons' },
    port: { type: 'string', default: process.env.PORT ?? '4000' },
    data: { type: 'string' },
    built: { type: 'boolean', default: false },
  },
});

const workshop = await createWorkshop({ target: values.target, built: values.built, ...(values.data ? { dataRoot: path.resolve(values.data) } : {}) });
const { app, mounted } = workshop;
let base: string;
let listening: Awaited<ReturnType<typeof listen>>;
try {
  listening = await listen(app, Number(values.port));
  base = listening.url;
} catch (error) {
  const code = (error as { code?: string }).code;
  console.error(code === 'EADDRINUSE' ? `Port ${values.port} is taken: try \`npm start -- --port 4100\`.` : error);
  process.exit(1);
}
console.log(`Comet Workshop: ${base}/  (the site; lessons run the code in ${values.target}/)\n`);
for (const { lesson, apiPath, pagePath, problem, fallback } of mounted) {
  const note = problem ? `  (not loaded: ${problem})` : fallback ? `  (the reference solution: your code did not start yet)` : '';
  const where = `${base}${problem ? apiPath : (pagePath ?? apiPath)}${note}`;
  console.log(`  ${String(lesson.number).padStart(2, '0')} ${lesson.title.padEnd(46)} ${where}`);
}
if (mounted.some((m) => m.lesson.slug === '05-chat' && !m.problem)) {
  console.log('\nThe chat has two demo accounts, liger_zql and 漠然, password 12345: log in as each in its own tab.');
}
console.log('\nStop with Ctrl+C.');

async function stop(): Promise<void> {
  await workshop.close();
  await listening.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
