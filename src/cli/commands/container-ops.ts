/**
 * Day-2 container commands: pause, unpause, rename, update, top, stats.
 * Output and errors as the docker CLI prints them (each name on success;
 * "Error response from daemon: …" lines and exit 1 for failures).
 */
import { ClientError } from '../../client';
import type { ContainerUpdateRequest, StatsResponse } from '../../wire';
import { type CliContext, CliExit, command, forEachArg } from '../command';
import { formatRows, shortId } from '../output';
import { TabWriter } from '../render';
import { bytesSize, humanSize, parseBytes } from '../render/units';

export const pauseCommand = command(
  {
    name: 'pause',
    aliases: ['container pause'],
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Pause all processes within one or more containers',
    minArgs: 1,
    flags: [],
  },
  (ctx, { args }) => eachContainerPrinting(ctx, args, (n) => ctx.client().pauseContainer(n)),
);

export const unpauseCommand = command(
  {
    name: 'unpause',
    aliases: ['container unpause'],
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Unpause all processes within one or more containers',
    minArgs: 1,
    flags: [],
  },
  (ctx, { args }) => eachContainerPrinting(ctx, args, (n) => ctx.client().unpauseContainer(n)),
);

export const renameCommand = command(
  {
    name: 'rename',
    aliases: ['container rename'],
    usage: 'CONTAINER NEW_NAME',
    description: 'Rename a container',
    minArgs: 2,
    maxArgs: 2,
    flags: [],
  },
  async (ctx, { args }) => {
    const [oldName = '', newName = ''] = args.map((a) => a.trim());
    if (oldName === '' || newName === '') throw new CliExit('Error: Neither old nor new names may be empty', 1);
    try {
      await ctx.client().renameContainer(oldName, newName);
    } catch (err) {
      if (!(err instanceof ClientError) || err.isConnectionError) throw err;
      ctx.stderr.write(
        `Error response from daemon: ${err.message}\nError: failed to rename container named ${oldName}\n`,
      );
      return 1;
    }
    return 0;
  },
);

function sizeFlag(flag: string, value: string): number {
  try {
    return parseBytes(value);
  } catch {
    throw new CliExit(`invalid argument "${value}" for "--${flag}" flag: invalid size: '${value}'`, 125);
  }
}

function intFlag(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new CliExit(
      `invalid argument "${value}" for "--${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
      125,
    );
  }
  return Number(value.trim());
}

/** `--restart` as docker parses it: no | always | unless-stopped | on-failure[:N]. */
export function parseRestartFlag(value: string): { Name: string; MaximumRetryCount: number } {
  const [name = '', count] = value.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new CliExit(`invalid restart policy format: ${value}`, 125);
  }
  if (count !== undefined && (name !== 'on-failure' || !/^\d+$/.test(count))) {
    throw new CliExit(
      name !== 'on-failure'
        ? "invalid restart policy format: maximum retry count can only be used with 'on-failure'"
        : 'invalid restart policy format: maximum retry count must be an integer',
      125,
    );
  }
  return { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

const UPDATE_FLAGS = [
  { name: 'blkio-weight', kind: 'string', help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
  { name: 'cpu-period', kind: 'string', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', kind: 'string', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-shares', short: 'c', kind: 'string', help: 'CPU shares (relative weight)' },
  { name: 'cpus', kind: 'string', valueName: 'decimal', help: 'Number of CPUs' },
  { name: 'cpuset-cpus', kind: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', kind: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'memory', short: 'm', kind: 'string', valueName: 'bytes', help: 'Memory limit' },
  { name: 'memory-reservation', kind: 'string', valueName: 'bytes', help: 'Memory soft limit' },
  {
    name: 'memory-swap',
    kind: 'string',
    valueName: 'bytes',
    help: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
  },
  { name: 'pids-limit', kind: 'string', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'restart', kind: 'string', help: 'Restart policy to apply when a container exits' },
] as const;

export const updateCommand = command(
  {
    name: 'update',
    aliases: ['container update'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Update configuration of one or more containers',
    minArgs: 1,
    flags: UPDATE_FLAGS,
  },
  async (ctx, { flags, args, changed }) => {
    if (changed.size === 0) throw new CliExit('you must provide one or more flags when using this command', 1);
    const body: ContainerUpdateRequest = {};
    if (changed.has('blkio-weight')) body.BlkioWeight = intFlag('blkio-weight', flags['blkio-weight']);
    if (changed.has('cpu-period')) body.CpuPeriod = intFlag('cpu-period', flags['cpu-period']);
    if (changed.has('cpu-quota')) body.CpuQuota = intFlag('cpu-quota', flags['cpu-quota']);
    if (changed.has('cpu-shares')) body.CpuShares = intFlag('cpu-shares', flags['cpu-shares']);
    if (changed.has('cpus')) {
      const n = Number(flags.cpus);
      if (!Number.isFinite(n) || n < 0) {
        throw new CliExit(
          `invalid argument "${flags.cpus}" for "--cpus" flag: failed to parse ${flags.cpus} as a rational number`,
          125,
        );
      }
      body.NanoCpus = Math.round(n * 1e9);
    }
    if (changed.has('cpuset-cpus')) body.CpusetCpus = flags['cpuset-cpus'];
    if (changed.has('cpuset-mems')) body.CpusetMems = flags['cpuset-mems'];
    if (changed.has('memory')) body.Memory = sizeFlag('memory', flags.memory);
    if (changed.has('memory-reservation')) {
      body.MemoryReservation = sizeFlag('memory-reservation', flags['memory-reservation']);
    }
    if (changed.has('memory-swap')) {
      body.MemorySwap = flags['memory-swap'] === '-1' ? -1 : sizeFlag('memory-swap', flags['memory-swap']);
    }
    if (changed.has('pids-limit')) body.PidsLimit = intFlag('pids-limit', flags['pids-limit']);
    if (changed.has('restart')) body.RestartPolicy = parseRestartFlag(flags.restart);
    const warnings: string[] = [];
    const code = await eachContainerPrinting(ctx, args, async (n) => {
      const r = await ctx.client().updateContainer(n, body);
      warnings.push(...(r.Warnings ?? []));
    });
    for (const w of warnings) ctx.stderr.write(`${w}\n`);
    return code;
  },
);

export const topCommand = command(
  {
    name: 'top',
    aliases: ['container top'],
    usage: 'CONTAINER [ps OPTIONS]',
    description: 'Display the running processes of a container',
    minArgs: 1,
    interspersed: false,
    flags: [],
  },
  async (ctx, { args }) => {
    const [name = '', ...ps] = args;
    const top = await ctx.client().topContainer(name, ps.join(' '));
    const w = new TabWriter({ minWidth: 20, tabWidth: 1, padding: 3 });
    w.write(`${top.Titles.join('\t')}\n`);
    for (const p of top.Processes ?? []) w.write(`${p.join('\t')}\n`);
    ctx.stdout.write(w.flush());
    return 0;
  },
);

/** One row of `docker stats` (cli/command/container/formatter_stats.go). */
export interface StatsRow {
  Container: string;
  Name: string;
  ID: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

const STATS_TITLES = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

const STATS_TABLE =
  'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

/** The docker CLI's CPU %: Δcontainer / Δsystem × online CPUs × 100 (0 unless both deltas are positive). */
export function cpuPercent(previous: { total: number; system: number }, s: Pick<StatsResponse, 'cpu_stats'>): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - previous.total;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - previous.system;
  const online = s.cpu_stats.online_cpus || (s.cpu_stats.cpu_usage.percpu_usage?.length ?? 0);
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Memory usage without the inactive file cache (v1 total_inactive_file, v2 inactive_file). */
export function memoryUsage(s: Pick<StatsResponse, 'memory_stats'>): number {
  const usage = s.memory_stats.usage ?? 0;
  const st = s.memory_stats.stats ?? {};
  const v1 = st.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = st.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

export function statsRow(
  container: string,
  s: StatsResponse,
  previous?: { total: number; system: number },
  noTrunc = false,
): StatsRow {
  const pre = previous ?? {
    total: s.precpu_stats.cpu_usage.total_usage,
    system: s.precpu_stats.system_cpu_usage ?? 0,
  };
  const cpu = cpuPercent(pre, s);
  const mem = memoryUsage(s);
  const limit = s.memory_stats.limit ?? 0;
  const memPerc = limit !== 0 ? (mem / limit) * 100 : 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const b of s.blkio_stats.io_service_bytes_recursive ?? []) {
    const op = b.op[0]?.toLowerCase();
    if (op === 'r') read += b.value;
    else if (op === 'w') write += b.value;
  }
  const name = s.name !== undefined && s.name.length > 1 ? s.name.slice(1) : '--';
  return {
    Container: container,
    Name: name,
    ID: noTrunc ? (s.id ?? container) : shortId(s.id ?? container),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: `${memPerc.toFixed(2)}%`,
    NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
    BlockIO: `${humanSize(read)} / ${humanSize(write)}`,
    PIDs: String(s.pids_stats.current ?? 0),
  };
}

export const statsCommand = command(
  {
    name: 'stats',
    aliases: ['container stats'],
    usage: '[OPTIONS] [CONTAINER...]',
    description: 'Display a live stream of container(s) resource usage statistics',
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'no-stream', kind: 'bool', help: 'Disable streaming stats and only pull the first result' },
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate output' },
    ],
  },
  async (ctx, { flags, args }) => {
    const client = ctx.client();
    const targets = async (): Promise<string[]> => {
      if (args.length > 0) return args;
      const list = await client.listContainers({ all: flags.all });
      return list.map((c) => c.Id);
    };
    const render = (rows: StatsRow[]) => formatRows(flags.format, rows, STATS_TITLES, STATS_TABLE);
    if (flags['no-stream']) {
      const names = await targets();
      const errors: string[] = [];
      const rows = await Promise.all(
        names.map(async (n) => {
          try {
            return statsRow(n, await client.containerStatsOnce(n), undefined, flags['no-trunc']);
          } catch (err) {
            if (!(err instanceof ClientError) || err.isConnectionError) throw err;
            errors.push(`Error response from daemon: ${err.message}`);
            return undefined;
          }
        }),
      );
      ctx.stdout.write(render(rows.filter((r): r is StatsRow => r !== undefined)));
      if (errors.length > 0) {
        ctx.stderr.write(`${errors.join('\n')}\n`);
        return 1;
      }
      return 0;
    }
    // Streaming: redraw every second from one-shot samples, CPU % against the previous round.
    const previous = new Map<string, { total: number; system: number }>();
    for (;;) {
      const names = await targets();
      const rows: StatsRow[] = [];
      for (const n of names) {
        try {
          const s = await client.containerStatsOnce(n, { oneShot: true });
          rows.push(statsRow(n, s, previous.get(n), flags['no-trunc']));
          previous.set(n, { total: s.cpu_stats.cpu_usage.total_usage, system: s.cpu_stats.system_cpu_usage ?? 0 });
        } catch (err) {
          if (!(err instanceof ClientError) || err.isConnectionError) throw err;
        }
      }
      ctx.stdout.write(`\x1b[H\x1b[2J${render(rows)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  },
);

/** forEachArg, printing each name that succeeded (docker pause/unpause/... output). */
function eachContainerPrinting(
  ctx: CliContext,
  names: readonly string[],
  fn: (name: string) => Promise<void>,
): Promise<number> {
  return forEachArg(ctx, names, async (name) => {
    await fn(name);
    ctx.stdout.write(`${name}\n`);
  });
}
