/**
 * What the kernel says a process has used (proc(5)): CPU time from `/proc/<pid>/stat` (utime + stime,
 * fields 14 and 15, in clock ticks of 1/100 s on Linux) and resident memory from `/proc/<pid>/status`
 * (VmRSS). Read from outside, so the service needs no endpoint of its own for it.
 */
import { readFileSync } from 'node:fs';

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** User plus system CPU time of `pid` so far, in µs (10 ms resolution). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
}

/** Resident set size of `pid`, in bytes. */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}
