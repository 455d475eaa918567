/** `network create|ls|inspect|rm|prune|connect|disconnect` and `port`, as the docker CLI prints them. */
import {
  ClientError,
  connectNetwork,
  createNetwork,
  disconnectNetwork,
  inspectNetwork,
  listNetworks,
  pruneNetworks,
  removeNetwork,
} from '../../client';
import type { NetworkCreateRequest, NetworkInspectWire } from '../../wire';
import { type CliContext, CliExit, command, forEachArg } from '../command';
import { formatRows, shortId } from '../output';
import { inspectEach, parseFilterFlags } from './images';

const FORMAT_HELP =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

/** Asks the docker CLI's question on stdout; true for y/yes. */
export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    };
    const done = () => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', done);
      ctx.stdin.pause();
      resolve(text.split('\n')[0] ?? '');
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', done);
  });
  return /^y(es)?$/i.test(answer.trim());
}

function keyValues(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0 && what !== 'label') throw new CliExit(`invalid ${what}: ${v}`, 125);
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export const networkCreateCommand = command(
  {
    name: 'network create',
    usage: '[OPTIONS] NETWORK',
    description: 'Create a network',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'attachable', kind: 'bool', help: 'Enable manual container attachment' },
      { name: 'aux-address', kind: 'list', help: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
      { name: 'driver', short: 'd', kind: 'string', default: 'bridge', help: 'Driver to manage the Network' },
      { name: 'gateway', kind: 'list', help: 'IPv4 or IPv6 Gateway for the master subnet' },
      { name: 'internal', kind: 'bool', help: 'Restrict external access to the network' },
      { name: 'ip-range', kind: 'list', help: 'Allocate container ip from a sub-range' },
      { name: 'ipam-driver', kind: 'string', default: 'default', help: 'IP Address Management Driver' },
      { name: 'ipam-opt', kind: 'list', help: 'Set IPAM driver specific options' },
      { name: 'ipv6', kind: 'bool', help: 'Enable or disable IPv6 networking' },
      { name: 'label', kind: 'list', help: 'Set metadata on a network' },
      { name: 'opt', short: 'o', kind: 'list', help: 'Set driver specific options' },
      { name: 'subnet', kind: 'list', help: 'Subnet in CIDR format that represents a network segment' },
    ],
  },
  async (ctx, { flags, args }) => {
    const subnets = flags.subnet;
    if (subnets.length > 1) throw new CliExit('berth supports one subnet per network', 125);
    if ((flags.gateway.length > 0 || flags['ip-range'].length > 0) && subnets.length === 0) {
      throw new CliExit('every ip-range or gateway must have a corresponding subnet', 125);
    }
    const body: NetworkCreateRequest = {
      Name: args[0] ?? '',
      Driver: flags.driver,
      Internal: flags.internal,
      Attachable: flags.attachable,
      Options: keyValues(flags.opt, 'option'),
      Labels: keyValues(flags.label, 'label'),
      IPAM: {
        Driver: flags['ipam-driver'],
        Config: subnets.map((s) => ({
          Subnet: s,
          ...(flags['ip-range'][0] ? { IPRange: flags['ip-range'][0] } : {}),
          ...(flags.gateway[0] ? { Gateway: flags.gateway[0] } : {}),
        })),
        Options: keyValues(flags['ipam-opt'], 'option'),
      },
    };
    if (flags.ipv6) body.EnableIPv6 = true;
    const r = await createNetwork(ctx.client(), body);
    ctx.stdout.write(`${r.Id}\n`);
    return 0;
  },
);

const NETWORK_TITLES = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

function networkRows(list: readonly NetworkInspectWire[], noTrunc: boolean) {
  return list.map((n) => ({
    ID: noTrunc ? n.Id : shortId(n.Id),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    CreatedAt: n.Created,
  }));
}

export const networkLsCommand = command(
  {
    name: 'network ls',
    usage: '[OPTIONS]',
    description: 'List networks',
    maxArgs: 0,
    flags: [
      {
        name: 'filter',
        short: 'f',
        kind: 'list',
        valueName: 'filter',
        help: 'Provide filter values (e.g. "driver=bridge")',
      },
      { name: 'format', kind: 'string', help: FORMAT_HELP },
      { name: 'no-trunc', kind: 'bool', help: 'Do not truncate the output' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display network IDs' },
    ],
  },
  async (ctx, { flags }) => {
    const list = await listNetworks(ctx.client(), parseFilterFlags(flags.filter));
    const rows = networkRows(
      [...list].sort((a, b) => a.Name.localeCompare(b.Name)),
      flags['no-trunc'],
    );
    if (flags.quiet) {
      for (const r of rows) ctx.stdout.write(`${r.ID}\n`);
      return 0;
    }
    ctx.stdout.write(
      formatRows(flags.format, rows, NETWORK_TITLES, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}'),
    );
    return 0;
  },
);

export const networkInspectCommand = command(
  {
    name: 'network inspect',
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'verbose', short: 'v', kind: 'bool', help: 'Verbose output for diagnostics' },
    ],
  },
  async (ctx, { flags, args }) => inspectEach(ctx, args, (a) => inspectNetwork(ctx.client(), a), flags.format),
);

export const networkRmCommand = command(
  {
    name: 'network rm',
    aliases: ['network remove'],
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Remove one or more networks',
    minArgs: 1,
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Do not error if the network does not exist' }],
  },
  async (ctx, { flags, args }) =>
    forEachArg(ctx, args, async (a) => {
      try {
        await removeNetwork(ctx.client(), a);
      } catch (err) {
        if (flags.force && err instanceof ClientError && err.status === 404) return;
        throw err;
      }
      ctx.stdout.write(`${a}\n`);
    }),
);

export const networkPruneCommand = command(
  {
    name: 'network prune',
    usage: '[OPTIONS]',
    description: 'Remove all unused networks',
    maxArgs: 0,
    flags: [
      { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
  },
  async (ctx, { flags }) => {
    if (
      !flags.force &&
      !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))
    ) {
      return 0;
    }
    const report = await pruneNetworks(ctx.client(), parseFilterFlags(flags.filter));
    const deleted = report.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.stdout.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    return 0;
  },
);

export const networkConnectCommand = command(
  {
    name: 'network connect',
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Connect a container to a network',
    minArgs: 2,
    maxArgs: 2,
    flags: [
      { name: 'alias', kind: 'list', help: 'Add network-scoped alias for the container' },
      { name: 'driver-opt', kind: 'list', help: 'driver options for the network' },
      { name: 'ip', kind: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
      { name: 'ip6', kind: 'string', help: 'IPv6 address (e.g., "2001:db8::33")' },
      { name: 'link', kind: 'list', help: 'Add link to another container' },
      { name: 'link-local-ip', kind: 'list', help: 'Add a link-local address for the container' },
    ],
  },
  async (ctx, { flags, args }) => {
    const [network = '', container = ''] = args;
    await connectNetwork(ctx.client(), network, {
      Container: container,
      EndpointConfig: {
        Aliases: flags.alias,
        ...(flags.ip !== '' ? { IPAMConfig: { IPv4Address: flags.ip } } : {}),
      },
    });
    return 0;
  },
);

export const networkDisconnectCommand = command(
  {
    name: 'network disconnect',
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    minArgs: 2,
    maxArgs: 2,
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the container to disconnect from a network' }],
  },
  async (ctx, { flags, args }) => {
    const [network = '', container = ''] = args;
    await disconnectNetwork(ctx.client(), network, container, flags.force);
    return 0;
  },
);

export const portCommand = command(
  {
    name: 'port',
    aliases: ['container port'],
    usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
    description: 'List port mappings or a specific mapping for the container',
    minArgs: 1,
    maxArgs: 2,
    flags: [],
  },
  async (ctx, { args }) => {
    const [ref = '', wanted] = args;
    const c = await ctx.client().inspectContainer(ref);
    const ports = c.NetworkSettings.Ports ?? {};
    if (wanted !== undefined) {
      const [port = '', proto = 'tcp'] = wanted.split('/');
      const key = `${port}/${proto}`;
      const list = ports[key];
      if (list === undefined || list === null || list.length === 0) {
        throw new CliExit(`Error: No public port '${key}' published for ${ref}`, 1);
      }
      for (const b of list) ctx.stdout.write(`${b.HostIp}:${b.HostPort}\n`);
      return 0;
    }
    const keys = Object.keys(ports).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    for (const key of keys) {
      for (const b of ports[key] ?? []) ctx.stdout.write(`${key} -> ${b.HostIp}:${b.HostPort}\n`);
    }
    return 0;
  },
);
