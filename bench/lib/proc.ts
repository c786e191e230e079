/**
 * What the kernel knows about a process: its CPU time, summed over all its threads (the
 * main thread, libuv's pool, V8's GC and compiler threads), and its resident memory.
 *
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Nanoseconds the process `pid` has spent on a CPU so far, all threads together. */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      // schedstat: time on CPU (ns), time waiting to run (ns), time slices
      total += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read: its time is gone with it
    }
  }
  return total;
}

/** Resident memory of the process `pid`, in KB. */
export function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`No VmRSS for process ${pid}`);
  return Number(line[1]);
}

/** The machine, in one line: CPU model, cores and memory. */
export function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? 'unknown CPU';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  const memKb = Number(readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m)?.[1] ?? 0);
  return `${model}, ${cores} cores, ${Math.round(memKb / 1024 / 1024)} GiB`;
}
