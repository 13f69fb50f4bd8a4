/** Measurements from /proc for benchmarks (Linux), and result files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU time a process has used, in ms. */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / USER_HZ;
}

/** Resident set size of a process, in MB. */
export function processRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

export function machine(): { cores: number; memoryGb: number; node: string } {
  return { cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

/** bench/results/<name>.json in the source tree. */
export function writeResult(name: string, result: unknown): string {
  const root = [path.join(__dirname, '..'), path.join(__dirname, '..', '..')].find((p) => fs.existsSync(path.join(p, 'package.json')))!;
  const dir = path.join(root, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...(result as object) }, null, 2) + '\n');
  return file;
}
