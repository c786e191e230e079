/**
 * `npm start [-- --target lessons|solutions|DIR] [--port N]`: serves every lesson's server
 * (the learner's by default) from one process, and prints where.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { listen } from '../http.ts';
import { createWorkshop } from '../workshop-server.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'lessons' },
    port: { type: 'string', default: process.env.PORT ?? '4000' },
  },
});

const { app, mounted } = await createWorkshop({ target: values.target });
let base: string;
try {
  base = (await listen(app, Number(values.port))).url;
} catch (error) {
  const code = (error as { code?: string }).code;
  console.error(code === 'EADDRINUSE' ? `Port ${values.port} is taken: try \`npm start -- --port 4100\`.` : error);
  process.exit(1);
}
console.log(`Comet Workshop: ${base}/  (serving ${values.target}/)\n`);
for (const { lesson, apiPath, problem } of mounted) {
  console.log(`  ${String(lesson.number).padStart(2, '0')} ${lesson.title.padEnd(30)} ${base}${apiPath}${problem ? `  (not loaded: ${problem})` : ''}`);
}
console.log('\nStop with Ctrl+C.');
