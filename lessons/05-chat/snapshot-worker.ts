/**
 * The snapshot worker: runs in a worker thread of its own (see database.ts), so that the
 * seconds a big snapshot takes — loading, replaying, exporting, writing — never stop the chat
 * from answering. Given code.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import initSqlJs from 'sql.js';
import { writeSnapshot, type SnapshotJob } from './snapshots.ts';

try {
  const bytes = await writeSnapshot(await initSqlJs(), workerData as SnapshotJob);
  parentPort!.postMessage({ bytes });
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
