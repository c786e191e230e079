/**
 * A private redis-server for lesson 09: its graders, the bench and `npm start` start one as a
 * child process on a free port of 127.0.0.1 with a temporary folder, and stop it afterwards.
 * Nothing else in the project starts Redis.
 *
 * The server writes every command to its append-only file (AOF) and, by default, fsyncs it
 * before answering (`appendfsync always`), so a write Redis acknowledged survives a crash of
 * Redis; it takes no snapshots (`--save ''`).
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** When Redis fsyncs its append-only file: before every answer, once a second, or when the OS likes. */
export type AppendFsync = 'always' | 'everysec' | 'no';

export interface StartRedisOptions {
  /** The folder for the append-only file; a fresh temporary one (removed by `stop()`) if not given. */
  dir?: string;
  /** Default `'always'`: an acknowledged write is on disk. */
  appendfsync?: AppendFsync;
  /** How long to wait for the server to answer PING (default 10 s). */
  readyWithinMs?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Where the append-only file is. */
  readonly dir: string;
  /** The running server's process id (undefined while it is stopped). */
  readonly pid: number | undefined;
  /**
   * SIGTERM, and resolves when the process has exited. Removes the folder if `startRedis`
   * made it (to stop for a while and start again, use `kill()` or pass your own `dir`).
   */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM, if it runs) and starts it again on the same port and folder: it replays its AOF. */
  restart(): Promise<void>;
  /** SIGKILL, and resolves when the process has exited: a crash. The folder stays; `restart()` starts it again. */
  kill(): Promise<void>;
}

/** The command that runs Redis: `redis-server` on the PATH, or `COMET_REDIS_SERVER` if set. */
function redisCommand(): string {
  return process.env.COMET_REDIS_SERVER || 'redis-server';
}

const installHint = 'install it: apt-get install redis-server (Debian, Ubuntu) or brew install redis (macOS)';

/** Undefined when redis-server can be started here; otherwise why not, naming the fix. */
export function redisAvailable(): string | undefined {
  const command = redisCommand();
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${command} is not on the PATH — ${installHint}` : `${command} --version failed (${probe.error.message}) — ${installHint}`;
  }
  if (probe.status !== 0 || !/Redis server v=\d/.test(probe.stdout)) {
    return `${command} --version did not answer like redis-server (exit ${probe.status}: ${(probe.stdout + probe.stderr).trim().slice(0, 200)}) — ${installHint}`;
  }
  return undefined;
}

/** A port that was free a moment ago: bound on 127.0.0.1 with port 0, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when a Redis server on `port` answers PING with PONG within `withinMs`. */
export function pingRedis(port: number, withinMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), withinMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/**
 * A running redis-server. It is started by a small `sh` guard that kills it (SIGKILL) when the
 * guard's stdin closes — that is, when this Node process ends, however it ends, even by
 * SIGKILL (a grading child stopped by its watchdog): no redis-server outlives its starter.
 * The guard exits when redis-server does, with its status.
 */
interface RedisChild {
  /** redis-server's own process id (signals go to it, not to the guard). */
  readonly pid: number;
  readonly exited: Promise<void>;
  hasExited(): boolean;
}

// sh gives a background job /dev/null as its stdin unless it is redirected explicitly: the
// watcher reads the guard's real stdin through fd 3.
const GUARD = 'exec 3<&0; cmd=$1; shift; "$cmd" "$@" </dev/null 3<&- & pid=$!; echo "comet-redis-pid $pid" >&2; (cat <&3 >/dev/null; kill -KILL $pid 2>/dev/null) & wait $pid';

/** Every redis-server this process started and that still runs: killed if this process exits first. */
const running = new Set<RedisChild>();
let exitHookInstalled = false;
function track(child: RedisChild): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const orphan of running) signal(orphan, 'SIGKILL');
    });
  }
  running.add(child);
  void child.exited.then(() => running.delete(child));
}

function signal(child: RedisChild, name: NodeJS.Signals): void {
  try {
    process.kill(child.pid, name);
  } catch {
    // already gone
  }
}

class PortTaken extends Error {}

/**
 * Starts redis-server on `port` with its AOF in `dir` and resolves once it answers PING.
 * Rejects with `PortTaken` if the port is in use, or an Error with the server's output.
 */
async function launch(port: number, dir: string, appendfsync: AppendFsync, withinMs: number): Promise<RedisChild> {
  await mkdir(dir, { recursive: true });
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes',
    '--save', '', '--appendonly', 'yes', '--appendfsync', appendfsync,
    '--dir', dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice',
  ];
  const guard = spawn('/bin/sh', ['-c', GUARD, 'sh', redisCommand(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  // The guard keeps its stdin open for as long as we live; once it has exited, let go of it.
  const exited = new Promise<void>((resolve) => guard.once('exit', () => resolve()));
  void exited.then(() => guard.stdin!.destroy());
  guard.stdin!.on('error', () => undefined);
  let output = '';
  let pid: number | undefined;
  let child: RedisChild | undefined;
  const failure = await new Promise<Error | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(new Error(`redis-server did not answer PING within ${withinMs} ms`)), withinMs);
    const finish = (error: Error | undefined): void => {
      clearTimeout(timer);
      resolve(error);
    };
    let pinging = false;
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = /comet-redis-pid (\d+)/.exec(output);
      if (found && pid === undefined) {
        pid = Number(found[1]);
        child = { pid, exited, hasExited: () => guard.exitCode !== null || guard.signalCode !== null };
        track(child);
      }
      // Printed once the AOF is loaded and the port is open; PING confirms it answers.
      if (!pinging && pid !== undefined && /Ready to accept connections/.test(output)) {
        pinging = true;
        void pingRedis(port).then((ok) => finish(ok ? undefined : new Error('redis-server said it was ready but did not answer PING')));
      }
    };
    guard.stdout!.on('data', onOutput);
    guard.stderr!.on('data', onOutput);
    guard.once('error', (error) => finish(error));
    void exited.then(() => finish(new Error(`redis-server exited (${guard.signalCode ?? `code ${guard.exitCode}`})`)));
  });
  // Keep draining its output, unread, so that a full pipe never blocks it.
  guard.stdout!.removeAllListeners('data').resume();
  guard.stderr!.removeAllListeners('data').resume();
  if (failure || !child) {
    if (child) await terminate(child, 'SIGKILL');
    else guard.kill('SIGKILL');
    await exited;
    if (/Address already in use/i.test(output)) throw new PortTaken(`port ${port} is in use`);
    throw new Error(`${failure?.message ?? 'redis-server did not start'}; its output:\n${output.replace(/comet-redis-pid \d+\n?/, '').trim().slice(-1000)}`);
  }
  return child;
}

/** Sends `name` to redis-server (if it still runs) and resolves when it has exited. */
async function terminate(child: RedisChild, name: NodeJS.Signals): Promise<void> {
  if (child.hasExited()) return;
  signal(child, name);
  await child.exited;
}

/**
 * Starts a private redis-server: 127.0.0.1, a free port, AOF on (`appendfsync always` unless
 * told otherwise), no snapshots. Resolves once it answers PING.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const why = redisAvailable();
  if (why) throw new Error(why);
  const appendfsync = options.appendfsync ?? 'always';
  const withinMs = options.readyWithinMs ?? 10_000;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'comet-redis-')));
  let child: RedisChild | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, appendfsync, withinMs);
    } catch (error) {
      // Someone took the port between our release and redis-server's bind: another one.
      if (!(error instanceof PortTaken) || attempt >= 5) {
        if (ownDir) await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const stopGracefully = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current) return;
    // SIGTERM makes Redis fsync its AOF and exit; a server that hangs is killed after 10 s.
    const forced = setTimeout(() => signal(current, 'SIGKILL'), 10_000);
    await terminate(current, 'SIGTERM');
    clearTimeout(forced);
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    async stop() {
      await stopGracefully();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopGracefully();
      // The same port: the clients reconnect to the address they know. It was ours a moment
      // ago, so a PortTaken here is a socket still closing: try again briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          child = await launch(port, dir, appendfsync, withinMs);
          return;
        } catch (error) {
          if (!(error instanceof PortTaken) || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    async kill() {
      const current = child;
      child = undefined;
      if (current) await terminate(current, 'SIGKILL');
    },
  };
}
