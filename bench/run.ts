/**
 * `npm run bench [-- --quick] [--only polling,fanout,chat,grading,bayeux,relay,sse,scale] [--render]`
 *
 * Runs the workshop's benchmarks, all on 127.0.0.1, each bounded in clients and time, and
 * writes the figures as JSON, as Markdown and as an SVG chart: a full run of everything to
 * bench/results.json, bench/RESULTS.md and bench/chart.svg (committed, shown on the site);
 * a `--quick` run (about 90 s here: small counts, one repetition, grading only lesson 01) or a partial one (`--only`)
 * to .workshop/bench/. `--render` measures nothing: it writes RESULTS.md and chart.svg
 * again from bench/results.json.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot, workRoot } from '../shared/paths.ts';
import { fanoutChart } from './chart.ts';
import { measureChat, measureLoginFlood } from './chat.ts';
import { measureFanout } from './fanout.ts';
import { measureGrading, measureRecordingCost } from './grading.ts';
import { machine } from './lib/proc.ts';
import { measurePolling } from './polling.ts';
import { measureRelay, RELAY_IN_FLIGHT } from './relay.ts';
import { measureScale } from './scale.ts';
import { measureSse } from './sse.ts';
import { bayeuxKinds, resultsMarkdown, type Results } from './report.ts';

const measures = ['polling', 'fanout', 'chat', 'grading', 'bayeux', 'relay', 'sse', 'scale'] as const;
type Measure = (typeof measures)[number];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, render: { type: 'boolean', default: false } } });
const only = (values.only?.split(',') ?? measures) as Measure[];
for (const name of only) if (!measures.includes(name)) throw new Error(`--only: unknown measure "${name}"; the measures are ${measures.join(', ')}`);
const quick = values.quick;
const settings = quick
  ? { polling: [{ clients: 50, messages: 5, messageEveryMs: 1000 }], counts: [1000], runs: 1, settleRounds: 3, warmRounds: 3, chatHistories: [0, 20_000], chatSends: { 1: 500, 8: 1000, 64: 2000 }, floodLogins: 200, quietSends: 20, gradingBatch: 0, gradingLessons: ['1'], bayeuxClients: 500, relay: { queries: { 1: 500, 8: 2000, 64: 4000 }, warmQueries: 500 }, sse: { clients: 500, streamClients: 200, perSecond: 100, streamSeconds: 3 }, scale: { clients: 600, processes: [1, 2, 3], hopPosts: 200, streamClients: 300, streamProcesses: 3, perSecond: 100, streamSeconds: 3 } }
  : { polling: [{ clients: 100, messages: 20, messageEveryMs: 1000 }, { clients: 100, messages: 4, messageEveryMs: 5000 }], counts: [1000, 5000, 10_000], runs: 3, settleRounds: 3, warmRounds: 5, chatHistories: [0, 100_000, 1_000_000], chatSends: { 1: 5000, 8: 10_000, 64: 20_000 }, floodLogins: 200, quietSends: 100, gradingBatch: 4, gradingLessons: undefined, bayeuxClients: 5000, relay: { queries: { 1: 5000, 8: 20_000, 64: 40_000 }, warmQueries: 2000 }, sse: { clients: 5000, streamClients: 1000, perSecond: 100, streamSeconds: 10 }, scale: { clients: 6000, processes: [1, 2, 3], hopPosts: 500, streamClients: 3000, streamProcesses: 3, perSecond: 100, streamSeconds: 10 } };

const log = (line: string) => console.log(line);

/** The commit measured, marked when the working tree has changes; "unknown" outside git. */
function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}
/** Writes the figures where they belong: RESULTS.md and chart.svg from the JSON. */
async function write(results: Results, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = resultsMarkdown(results);
  await writeFile(path.join(folder, 'RESULTS.md'), markdown);
  if (results.fanout) await writeFile(path.join(folder, 'chart.svg'), fanoutChart(results.fanout, `${results.machine} · Node ${results.node} · ${results.date} · ${results.command}`));
  console.log(`\n${markdown}`);
  console.log(`Written to ${path.relative(projectRoot, folder)}/${results.seconds === undefined ? '' : ` after ${results.seconds} s of measuring`}.`);
}

/** The figures measured so far: a measure that throws leaves the ones before it, written to .workshop/bench/partial/. */
let measured: Results | undefined;

async function measure(): Promise<Results> {
  const started = Date.now();
  const results: Results = (measured = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString().slice(0, 10),
    machine: machine(),
    node: process.version,
    commit: gitCommit(),
    settings,
  });
  if (only.includes('polling')) {
    results.polling = [];
    for (const scenario of settings.polling) {
      log(`1. polling against held requests: ${scenario.clients} clients, ${scenario.messages} messages, one every ${scenario.messageEveryMs / 1000} s`);
      results.polling.push(...(await measurePolling(scenario)));
    }
  }
  if (only.includes('fanout')) {
    log(`2–3. fan-out to ${settings.counts.join(', ')} held clients, ${settings.runs} run(s) each: a cold broadcast, ${settings.settleRounds} to settle, ${settings.warmRounds} measured warm`);
    results.fanout = await measureFanout({ kinds: ['ours', 'lesson03', 'bare', 'socketio', 'faye'], counts: settings.counts, runs: settings.runs, settleRounds: settings.settleRounds, warmRounds: settings.warmRounds, log });
  }
  if (only.includes('chat')) {
    log(`4. the chat's durable writes with 1, 8 and 64 in flight, at histories of ${settings.chatHistories.map((h) => h.toLocaleString('en')).join(', ')} messages`);
    results.chat = await measureChat(settings.chatHistories, settings.chatSends, log);
    log(`4b. the chat under a flood of ${settings.floodLogins} logins: another user's sends, acknowledged how fast`);
    results.loginFlood = await measureLoginFlood(settings.floodLogins, settings.quietSends);
  }
  if (only.includes('grading')) {
    log('5. grading the solutions');
    results.grading = await measureGrading(settings.gradingBatch, settings.gradingLessons?.[0]);
    log('5b. what the failure timelines cost');
    results.recording = await measureRecordingCost(settings.runs, settings.gradingLessons);
  }
  if (only.includes('bayeux')) {
    log(`6. Bayeux: one publish to ${settings.bayeuxClients} clients subscribed to one channel, each holding a /meta/connect: lesson 06, Faye, lesson 04 for reference; ${settings.runs} run(s) each`);
    results.bayeux = await measureFanout({ kinds: bayeuxKinds, counts: [settings.bayeuxClients], runs: settings.runs, settleRounds: settings.settleRounds, warmRounds: settings.warmRounds, publish: 'bayeux', log });
  }
  if (only.includes('relay')) {
    log(`7. the relay's round trip, caller → relay → agent → relay → caller, against a direct call to express beside the database: ${RELAY_IN_FLIGHT.join(', ')} in flight`);
    results.relay = await measureRelay(settings.relay, log);
  }
  if (only.includes('sse')) {
    const { clients, streamClients, perSecond, streamSeconds } = settings.sse;
    log(`8. Server-Sent Events: lesson 08's streams, lesson 04's held polls and a bare SSE server; one broadcast to ${clients} clients, then ${perSecond} messages/s to ${streamClients} clients for ${streamSeconds} s; ${settings.runs} run(s) each`);
    results.sse = await measureSse({ ...settings.sse, runs: settings.runs, settleRounds: settings.settleRounds, warmRounds: settings.warmRounds }, log);
  }
  if (only.includes('scale')) {
    const { clients, processes, hopPosts, streamClients, streamProcesses, perSecond, streamSeconds } = settings.scale;
    log(`9. scale-out through Redis: lesson 09 on ${processes.join(', ')} processes and one redis-server against lesson 04 alone; one broadcast to ${clients} clients, ${hopPosts} posts one at a time to one client (the Redis hop), then ${perSecond} messages/s to ${streamClients} clients over ${streamProcesses} processes for ${streamSeconds} s; ${settings.runs} run(s) each`);
    results.scale = await measureScale({ ...settings.scale, runs: settings.runs, settleRounds: settings.settleRounds, warmRounds: settings.warmRounds }, log);
  }
  results.seconds = Math.round((Date.now() - started) / 1000);
  return results;
}

const committed = path.join(projectRoot, 'bench');
if (values.render) {
  const results = JSON.parse(await readFile(path.join(committed, 'results.json'), 'utf8')) as Results;
  await write(results, committed);
} else {
  const complete = !quick && only.length === measures.length;
  try {
    await write(await measure(), complete ? committed : path.join(workRoot, 'bench', quick ? 'quick' : 'partial'));
  } catch (error) {
    // A long run that fails late keeps what it measured before; the committed figures stay a complete run's.
    if (measured) await write(measured, path.join(workRoot, 'bench', 'partial'));
    throw error;
  }
}
