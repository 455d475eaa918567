/**
 * Container commands: run, create, start, stop, kill, restart, rm, ps, logs,
 * wait, container prune, container inspect. `run` follows the docker CLI's
 * order (create → attach → wait → start → stream → wait result) so that the
 * daemon sees the same requests from berth as from docker.
 */
import { ClientError, progressMessages } from '../../client';
import { parseReference, repositoryName } from '../../common/reference';
import type { ContainerSummaryWire } from '../../wire';
import { type CliContext, CliExit, command, forEachArg } from '../command';
import type { FlagSpec } from '../flags';
import { displayJsonMessages, ellipsis, formatRows, shortId } from '../output';
import { humanSize, timeAgo } from '../render/units';
import { AttachedSession, checkTty, containerResizer, containerSignaller } from './attach';
import { buildCreateRequest, CONTAINER_FLAGS, type ContainerFlagValues } from './container-opts';
import { inspectEach, parseFilterFlags } from './images';

/** docker's exit code for a failed `run`/`create`/`start`, from the daemon's message (cli run.go toStatusError). */
export function startErrorExitCode(message: string): number {
  if (/executable file not found|no such file or directory/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

/** Prints a run/create failure as docker does ("docker: Error response from daemon: ...") and returns the exit code. */
function runFailure(ctx: CliContext, verb: string, err: unknown): number {
  if (err instanceof CliExit) {
    ctx.stderr.write(`${ctx.program}: ${err.message}\n\nRun '${ctx.program} ${verb} --help' for more information\n`);
    return err.exitCode;
  }
  if (!(err instanceof ClientError)) throw err;
  const text = err.isConnectionError ? err.message : `Error response from daemon: ${err.message}`;
  ctx.stderr.write(`${ctx.program}: ${text}\n\nRun '${ctx.program} ${verb} --help' for more information\n`);
  return err.isConnectionError ? 125 : startErrorExitCode(err.message);
}

/** `docker run`'s pull of a missing image: progress on stderr, so stdout carries only the container's output. */
async function pullImage(ctx: CliContext, image: string): Promise<void> {
  const ref = parseReference(image);
  const query: Record<string, string> = { fromImage: repositoryName(ref) };
  if (ref.digest !== undefined) query.tag = ref.digest;
  else query.tag = ref.tag ?? 'latest';
  const res = await ctx.client().call('POST', '/images/create', { query, headers: { 'X-Registry-Auth': 'e30=' } });
  await displayJsonMessages(ctx, progressMessages(res), { out: ctx.stderr });
}

async function createContainer(
  ctx: CliContext,
  flags: ContainerFlagValues,
  changed: ReadonlySet<string>,
  args: string[],
  options: { detach: boolean; autoRemove: boolean },
): Promise<string> {
  const [image, ...cmd] = args;
  const request = buildCreateRequest(flags, changed, image!, cmd, ctx.env, options);
  const name = (flags.name as string) || undefined;
  const platform = (flags.platform as string) || undefined;
  const createOptions = { ...(name ? { name } : {}), ...(platform ? { platform } : {}) };
  const client = ctx.client();
  try {
    const res = await client.createContainer(request, createOptions);
    for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
    return res.Id;
  } catch (err) {
    if (!(err instanceof ClientError) || !err.isNotFound || !/No such image/.test(err.message)) throw err;
    if (flags.pull === 'never') throw err;
    const ref = image!.includes(':') || image!.includes('@') ? image! : `${image}:latest`;
    ctx.stderr.write(`Unable to find image '${ref}' locally\n`);
    await pullImage(ctx, image!);
    const res = await client.createContainer(request, createOptions);
    for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
    return res.Id;
  }
}

const RUN_FLAGS = [
  ...CONTAINER_FLAGS,
  { name: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' },
  { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
  { name: 'sig-proxy', kind: 'bool', default: true, help: 'Proxy received signals to the process' },
] as const satisfies readonly FlagSpec[];

/** Copies attached output to the CLI's stdout/stderr until the stream ends. */
async function pumpOutput(ctx: CliContext, output: AsyncIterable<{ stream: string; data: Buffer }>): Promise<void> {
  for await (const chunk of output) {
    if (chunk.stream === 'stderr') ctx.stderr.write(chunk.data);
    else ctx.stdout.write(chunk.data);
  }
}

export const runCommand = command(
  {
    name: 'run',
    aliases: ['container run'],
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    minArgs: 1,
    interspersed: false,
    flags: RUN_FLAGS,
  },
  async (ctx, { flags, args, changed }) => {
    const detach = flags.detach;
    const autoRemove = flags.rm;
    const client = ctx.client();
    if (!detach) checkTty(ctx, flags.interactive, flags.tty);
    let id: string;
    try {
      id = await createContainer(ctx, flags as unknown as ContainerFlagValues, changed, args, { detach, autoRemove });
    } catch (err) {
      return runFailure(ctx, 'run', err);
    }
    if (detach) {
      try {
        await client.startContainer(id);
      } catch (err) {
        return runFailure(ctx, 'run', err);
      }
      ctx.stdout.write(`${id}\n`);
      return 0;
    }
    const tty = flags.tty;
    const attach = await client.attachContainer(id, {
      stream: true,
      stdin: flags.interactive,
      stdout: true,
      stderr: true,
      tty,
      ...(flags['detach-keys'] ? { detachKeys: flags['detach-keys'] } : {}),
    });
    const session = new AttachedSession(ctx, attach, {
      tty,
      stdin: flags.interactive,
      detachKeys: flags['detach-keys'],
      resize: containerResizer(ctx, id),
      ...(flags['sig-proxy'] ? { forwardSignal: containerSignaller(ctx, id) } : {}),
    });
    const waiter = client.waitContainer(id, autoRemove ? 'removed' : 'next-exit');
    await waiter.ready;
    session.begin();
    try {
      await client.startContainer(id);
    } catch (err) {
      attach.close();
      session.close();
      const code = runFailure(ctx, 'run', err);
      if (autoRemove) await waiter.result.catch(() => undefined);
      else waiter.cancel();
      return code;
    }
    await session.monitorSize();
    // The user typed the detach keys: the container goes on, run returns 0 (docker's run.go).
    if ((await session.finished) === 'detached') {
      waiter.cancel();
      return 0;
    }
    const result = await waiter.result;
    if (result.Error?.Message) {
      ctx.stderr.write(`${ctx.program}: Error response from daemon: ${result.Error.Message}\n`);
      return 125;
    }
    return result.StatusCode;
  },
);

export const createCommand = command(
  {
    name: 'create',
    aliases: ['container create'],
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create a new container',
    minArgs: 1,
    interspersed: false,
    flags: CONTAINER_FLAGS,
  },
  async (ctx, { flags, args, changed }) => {
    try {
      const id = await createContainer(ctx, flags as unknown as ContainerFlagValues, changed, args, {
        detach: false,
        autoRemove: flags.rm,
      });
      ctx.stdout.write(`${id}\n`);
      return 0;
    } catch (err) {
      return runFailure(ctx, 'create', err);
    }
  },
);

export const startCommand = command(
  {
    name: 'start',
    aliases: ['container start'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Start one or more stopped containers',
    minArgs: 1,
    flags: [
      { name: 'attach', short: 'a', kind: 'bool', help: 'Attach STDOUT/STDERR and forward signals' },
      { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
      { name: 'interactive', short: 'i', kind: 'bool', help: "Attach container's STDIN" },
    ],
  },
  async (ctx, { flags, args }) => {
    const client = ctx.client();
    if (flags.attach || flags.interactive) {
      if (args.length > 1) throw new CliExit('you cannot start and attach multiple containers at once');
      const info = await client.inspectContainer(args[0]!);
      const tty = info.Config.Tty;
      const stdin = flags.interactive && info.Config.OpenStdin;
      checkTty(ctx, stdin, tty);
      const attach = await client.attachContainer(info.Id, {
        stream: true,
        stdin,
        stdout: true,
        stderr: true,
        tty,
        ...(flags['detach-keys'] ? { detachKeys: flags['detach-keys'] } : {}),
      });
      const session = new AttachedSession(ctx, attach, {
        tty,
        stdin,
        detachKeys: flags['detach-keys'],
        resize: containerResizer(ctx, info.Id),
        forwardSignal: containerSignaller(ctx, info.Id),
      });
      const waiter = client.waitContainer(info.Id, info.HostConfig.AutoRemove ? 'removed' : 'next-exit');
      await waiter.ready;
      session.begin();
      try {
        await client.startContainer(info.Id);
      } catch (err) {
        attach.close();
        session.close();
        waiter.cancel();
        if (err instanceof ClientError && !err.isConnectionError) {
          ctx.stderr.write(`Error response from daemon: ${err.message}\n`);
          return startErrorExitCode(err.message) === 125 ? 1 : startErrorExitCode(err.message);
        }
        throw err;
      }
      await session.monitorSize();
      if ((await session.finished) === 'detached') {
        waiter.cancel();
        return 0;
      }
      return (await waiter.result).StatusCode;
    }
    return forEachArg(ctx, args, async (name) => {
      await client.startContainer(name);
      ctx.stdout.write(`${name}\n`);
    });
  },
);

const STOP_FLAGS = [
  { name: 'signal', short: 's', kind: 'string', help: 'Signal to send to the container' },
  { name: 'time', short: 't', kind: 'int', help: 'Seconds to wait before killing the container' },
  { name: 'timeout', kind: 'int', hidden: true, help: 'Seconds to wait before killing the container' },
] as const satisfies readonly FlagSpec[];

export const stopCommand = command(
  {
    name: 'stop',
    aliases: ['container stop'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Stop one or more running containers',
    minArgs: 1,
    flags: STOP_FLAGS,
  },
  async (ctx, { flags, args, changed }) => {
    const t = changed.has('time') ? flags.time : changed.has('timeout') ? flags.timeout : undefined;
    return forEachArg(ctx, args, async (name) => {
      await ctx
        .client()
        .stopContainer(name, { ...(t !== undefined ? { t } : {}), ...(flags.signal ? { signal: flags.signal } : {}) });
      ctx.stdout.write(`${name}\n`);
    });
  },
);

export const restartCommand = command(
  {
    name: 'restart',
    aliases: ['container restart'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Restart one or more containers',
    minArgs: 1,
    flags: STOP_FLAGS,
  },
  async (ctx, { flags, args, changed }) => {
    const t = changed.has('time') ? flags.time : changed.has('timeout') ? flags.timeout : undefined;
    return forEachArg(ctx, args, async (name) => {
      await ctx.client().restartContainer(name, {
        ...(t !== undefined ? { t } : {}),
        ...(flags.signal ? { signal: flags.signal } : {}),
      });
      ctx.stdout.write(`${name}\n`);
    });
  },
);

export const killCommand = command(
  {
    name: 'kill',
    aliases: ['container kill'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    minArgs: 1,
    flags: [{ name: 'signal', short: 's', kind: 'string', help: 'Signal to send to the container' }],
  },
  async (ctx, { flags, args }) =>
    forEachArg(ctx, args, async (name) => {
      await ctx.client().killContainer(name, flags.signal || undefined);
      ctx.stdout.write(`${name}\n`);
    }),
);

export const rmCommand = command(
  {
    name: 'rm',
    aliases: ['container rm', 'container remove'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    minArgs: 1,
    flags: [
      { name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of a running container (uses SIGKILL)' },
      { name: 'link', short: 'l', kind: 'bool', help: 'Remove the specified link' },
      { name: 'volumes', short: 'v', kind: 'bool', help: 'Remove anonymous volumes associated with the container' },
    ],
  },
  async (ctx, { flags, args }) => {
    const errors: string[] = [];
    for (const name of args) {
      try {
        await ctx.client().removeContainer(name, { force: flags.force, v: flags.volumes });
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        if (!(err instanceof ClientError) || err.isConnectionError) throw err;
        // Like docker: with -f a missing container is not an error.
        if (flags.force && err.isNotFound) continue;
        errors.push(`Error response from daemon: ${err.message}`);
      }
    }
    if (errors.length > 0) {
      ctx.stderr.write(`${errors.join('\n')}\n`);
      return 1;
    }
    return 0;
  },
);

export const waitCommand = command(
  {
    name: 'wait',
    aliases: ['container wait'],
    usage: 'CONTAINER [CONTAINER...]',
    description: 'Block until one or more containers stop, then print their exit codes',
    minArgs: 1,
    flags: [],
  },
  async (ctx, { args }) =>
    forEachArg(ctx, args, async (name) => {
      const w = ctx.client().waitContainer(name, 'not-running');
      const r = await w.result;
      ctx.stdout.write(`${r.StatusCode}\n`);
    }),
);

/** docker's `--since`/`--until` value: a duration ('10m', '1h30m'), RFC 3339 or Unix time → "sec.nanosec". */
export function timestampArg(value: string, now = Date.now()): string {
  if (value === '') return '';
  const dur = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(value);
  if (dur && value !== '' && !/^\d+$/.test(value)) {
    const ms =
      Number(dur[1] ?? 0) * 3_600_000 + Number(dur[2] ?? 0) * 60_000 + Number(dur[3] ?? 0) * 1000 + Number(dur[4] ?? 0);
    const t = (now - ms) / 1000;
    return formatSeconds(t);
  }
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const parsed = Date.parse(value.includes('T') || value.includes(' ') ? value : `${value}T00:00:00Z`);
  if (Number.isNaN(parsed))
    throw new CliExit(`invalid value for "since": failed to parse value as time or duration: "${value}"`);
  return formatSeconds(parsed / 1000);
}

function formatSeconds(t: number): string {
  const sec = Math.floor(t);
  const nanos = Math.round((t - sec) * 1e9);
  return `${sec}.${String(nanos).padStart(9, '0')}`;
}

export const logsCommand = command(
  {
    name: 'logs',
    aliases: ['container logs'],
    usage: '[OPTIONS] CONTAINER',
    description: 'Fetch the logs of a container',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'details', kind: 'bool', help: 'Show extra details provided to logs' },
      { name: 'follow', short: 'f', kind: 'bool', help: 'Follow log output' },
      {
        name: 'since',
        kind: 'string',
        help: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
      },
      {
        name: 'tail',
        short: 'n',
        kind: 'string',
        default: 'all',
        help: 'Number of lines to show from the end of the logs',
      },
      { name: 'timestamps', short: 't', kind: 'bool', help: 'Show timestamps' },
      {
        name: 'until',
        kind: 'string',
        help: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
      },
    ],
  },
  async (ctx, { flags, args }) => {
    const client = ctx.client();
    const info = await client.inspectContainer(args[0]!);
    const logs = client.containerLogs(info.Id, {
      stdout: true,
      stderr: true,
      follow: flags.follow,
      since: timestampArg(flags.since),
      until: timestampArg(flags.until),
      timestamps: flags.timestamps,
      tail: flags.tail,
      tty: info.Config.Tty,
    });
    await pumpOutput(ctx, logs);
    return 0;
  },
);

const PS_TITLES = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

/** docker's DisplayablePorts: '0.0.0.0:8080->80/tcp, 443/tcp'. */
export function displayPorts(ports: ContainerSummaryWire['Ports']): string {
  return ports
    .map((p) =>
      p.PublicPort
        ? `${p.IP ? `${p.IP}:` : ''}${p.PublicPort}->${p.PrivatePort}/${p.Type}`
        : `${p.PrivatePort}/${p.Type}`,
    )
    .join(', ');
}

export function containerRows(list: readonly ContainerSummaryWire[], options: { noTrunc: boolean }) {
  const now = Date.now();
  return list.map((c) => {
    const names = c.Names.map((n) => n.replace(/^\//, ''));
    const visibleNames = options.noTrunc ? names : names.filter((n) => !n.includes('/'));
    const command = options.noTrunc ? c.Command : ellipsis(c.Command, 20);
    const created = new Date(c.Created * 1000);
    const labels = c.Labels ?? {};
    return {
      ID: options.noTrunc ? c.Id : shortId(c.Id),
      Image: c.Image,
      Command: JSON.stringify(command),
      CreatedAt: `${created.toISOString().slice(0, 10)} ${created.toISOString().slice(11, 19)} +0000 UTC`,
      RunningFor: timeAgo(created, now),
      Ports: displayPorts(c.Ports ?? []),
      State: c.State,
      Status: c.Status,
      Size:
        c.SizeRw === undefined && c.SizeRootFs === undefined
          ? '0B'
          : `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs ?? 0)})`,
      Names: visibleNames.join(','),
      Labels: Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      Label: (name: string) => labels[name] ?? '',
      Mounts: (c.Mounts ?? []).map((m) => m.Name ?? m.Source).join(','),
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
      LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    };
  });
}

export const psCommand = command(
  {
    name: 'ps',
    aliases: ['container ls', 'container list', 'container ps'],
    usage: '[OPTIONS]',
    description: 'List containers',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
      {
        name: 'filter',
        short: 'f',
        kind: 'list',
        valueName: 'filter',
        help: 'Filter output based on conditions provided',
      },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      {
        name: 'last',
        short: 'n',
        kind: 'int',
        default: -1,
        help: 'Show n last created containers (includes all states)',
      },
      { name: 'latest', short: 'l', kind: 'bool', help: 'Show the latest created container (includes all states)' },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display container IDs' },
      { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
    ],
  },
  async (ctx, { flags }) => {
    const limit = flags.latest ? 1 : flags.last;
    const format = flags.format;
    const wantsSize = flags.size || /\.Size\b/.test(format);
    const list = await ctx.client().listContainers({
      all: flags.all || limit > 0,
      limit: limit > 0 ? limit : -1,
      size: wantsSize,
      filters: parseFilterFlags(flags.filter),
    });
    const rows = containerRows(list, { noTrunc: flags['no-trunc'] });
    if (flags.quiet && format === '') {
      for (const r of rows) ctx.stdout.write(`${r.ID}\n`);
      return 0;
    }
    const table = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${flags.size ? '\t{{.Size}}' : ''}`;
    ctx.stdout.write(formatRows(format, rows, PS_TITLES, table));
    return 0;
  },
);

export const containerPruneCommand = command(
  {
    name: 'container prune',
    usage: '[OPTIONS]',
    description: 'Remove all stopped containers',
    maxArgs: 0,
    flags: [
      { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
  },
  async (ctx, { flags }) => {
    if (!flags.force) {
      ctx.stdout.write('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        const onData = (c: Buffer) => {
          text += c.toString();
          if (text.includes('\n')) finish();
        };
        const finish = () => {
          ctx.stdin.off('data', onData);
          ctx.stdin.off('end', finish);
          ctx.stdin.pause();
          resolve(text.split('\n')[0] ?? '');
        };
        ctx.stdin.on('data', onData);
        ctx.stdin.on('end', finish);
      });
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const report = await ctx.client().pruneContainers({ filters: parseFilterFlags(flags.filter) });
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length > 0) ctx.stdout.write(`Deleted Containers:\n${deleted.join('\n')}\n\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
);

export const containerInspectCommand = command(
  {
    name: 'container inspect',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Display detailed information on one or more containers',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes' },
    ],
  },
  async (ctx, { flags, args }) =>
    inspectEach(ctx, args, (name) => ctx.client().inspectContainer(name, { size: flags.size }), flags.format),
);
