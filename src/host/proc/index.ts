/**
 * What `docker stats` and `docker top` read from the host besides cgroup
 * files: the system CPU counters (/proc/stat), a process's network counters
 * (/proc/<pid>/net/dev, i.e. the interfaces of its network namespace) and the
 * output of the host's `ps`. `LinuxProcReader` reads the real ones; tests
 * pass a `StaticProcReader`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Linux USER_HZ: /proc/stat counts in these ticks (moby assumes 100 too). */
const CLOCK_TICKS = 100;

export interface SystemCpu {
  /** Sum of user, nice, system, idle, iowait, irq and softirq of /proc/stat's `cpu` line, in ns. */
  systemCpuUsageNs: number;
  /** Number of `cpuN` lines. */
  onlineCpus: number;
}

export interface NetDevStats {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface PsResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProcReader {
  systemCpu(): Promise<SystemCpu>;
  /** The interfaces of `pid`'s network namespace but `lo`; {} when unreadable. */
  netDev(pid: number): Promise<Record<string, NetDevStats>>;
  /** Runs the host's `ps` with `args` (no shell). */
  ps(args: string[]): Promise<PsResult>;
}

export function parseProcStat(text: string): SystemCpu {
  let total = 0;
  let online = 0;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'cpu') {
      total = fields
        .slice(1, 8)
        .map(Number)
        .reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    } else if (/^cpu\d+$/.test(fields[0] ?? '')) {
      online++;
    }
  }
  return { systemCpuUsageNs: (total * 1e9) / CLOCK_TICKS, onlineCpus: online };
}

/** /proc/net/dev: two header lines, then `iface: rx(8 fields) tx(8 fields)`. */
export function parseNetDev(text: string): Record<string, NetDevStats> {
  const out: Record<string, NetDevStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === '' || name === 'lo') continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 16) continue;
    const n = (i: number) => f[i] ?? 0;
    out[name] = {
      rxBytes: n(0),
      rxPackets: n(1),
      rxErrors: n(2),
      rxDropped: n(3),
      txBytes: n(8),
      txPackets: n(9),
      txErrors: n(10),
      txDropped: n(11),
    };
  }
  return out;
}

export class LinuxProcReader implements ProcReader {
  async systemCpu(): Promise<SystemCpu> {
    return parseProcStat(await readFile('/proc/stat', 'utf8'));
  }

  async netDev(pid: number): Promise<Record<string, NetDevStats>> {
    if (!(pid > 0)) return {};
    try {
      return parseNetDev(await readFile(`/proc/${pid}/net/dev`, 'utf8'));
    } catch {
      return {};
    }
  }

  ps(args: string[]): Promise<PsResult> {
    return new Promise((resolve, reject) => {
      execFile('ps', args, { maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
        if (err !== null && typeof (err as { code?: unknown }).code !== 'number') {
          reject(err);
          return;
        }
        resolve({ code: err === null ? 0 : Number((err as { code: number }).code), stdout, stderr });
      });
    });
  }
}

/** A ProcReader with fixed answers (tests). */
export class StaticProcReader implements ProcReader {
  constructor(
    readonly answers: {
      systemCpu?: SystemCpu;
      netDev?: Record<string, NetDevStats>;
      ps?: (args: string[]) => PsResult;
    } = {},
  ) {}
  async systemCpu(): Promise<SystemCpu> {
    return this.answers.systemCpu ?? { systemCpuUsageNs: 0, onlineCpus: 1 };
  }
  async netDev(): Promise<Record<string, NetDevStats>> {
    return this.answers.netDev ?? {};
  }
  async ps(args: string[]): Promise<PsResult> {
    return this.answers.ps?.(args) ?? { code: 0, stdout: 'PID CMD\n', stderr: '' };
  }
}
