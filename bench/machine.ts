/** The machine a benchmark ran on, as bench/RESULTS.md describes it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  kernel: string;
  date: string;
}

export function describeMachine(redisServerBin = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server'): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = cpuinfo.split('\n').filter((line) => line.startsWith('processor')).length || cpus().length;
  const redis = /v=(\S+)/.exec(execFileSync(redisServerBin, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return {
    cpuModel: model.trim(),
    cores,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    redis,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    date: new Date().toISOString(),
  };
}
