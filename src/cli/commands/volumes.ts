/** `volume create|ls|inspect|rm|prune`, as the docker CLI prints them. */
import { createVolume, inspectVolume, listVolumes, pruneVolumes, removeVolume } from '../../client';
import { CliExit, command, forEachArg } from '../command';
import { formatRows } from '../output';
import { humanSize } from '../render/units';
import { inspectEach, parseFilterFlags } from './images';
import { confirm } from './networks';

function keyValues(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0 && what === 'opt') throw new CliExit(`invalid key/value pair format in driver options: ${v}`, 125);
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export const volumeCreateCommand = command(
  {
    name: 'volume create',
    usage: '[OPTIONS] [VOLUME]',
    description: 'Create a volume',
    maxArgs: 1,
    flags: [
      { name: 'driver', short: 'd', kind: 'string', default: 'local', help: 'Specify volume driver name' },
      { name: 'label', kind: 'list', help: 'Set metadata for a volume' },
      { name: 'name', kind: 'string', hidden: true, help: 'Specify volume name' },
      { name: 'opt', short: 'o', kind: 'list', help: 'Set driver specific options' },
    ],
  },
  async (ctx, { flags, args }) => {
    if (args[0] !== undefined && flags.name !== '' && args[0] !== flags.name) {
      throw new CliExit(
        `conflicting options: cannot specify a volume-name through both --name and as a positional arg`,
        1,
      );
    }
    const v = await createVolume(ctx.client(), {
      Name: args[0] ?? flags.name,
      Driver: flags.driver,
      DriverOpts: keyValues(flags.opt, 'opt'),
      Labels: keyValues(flags.label, 'label'),
    });
    ctx.stdout.write(`${v.Name}\n`);
    return 0;
  },
);

const VOLUME_TITLES = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  CreatedAt: 'CREATED AT',
};

export const volumeLsCommand = command(
  {
    name: 'volume ls',
    aliases: ['volume list'],
    usage: '[OPTIONS]',
    description: 'List volumes',
    maxArgs: 0,
    flags: [
      { name: 'cluster', kind: 'bool', hidden: true, help: 'Display only cluster volumes' },
      {
        name: 'filter',
        short: 'f',
        kind: 'list',
        valueName: 'filter',
        help: "Provide filter values (e.g. 'dangling=true')",
      },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only display volume names' },
    ],
  },
  async (ctx, { flags }) => {
    const r = await listVolumes(ctx.client(), parseFilterFlags(flags.filter));
    const rows = [...r.Volumes]
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((v) => ({
        Name: v.Name,
        Driver: v.Driver,
        Scope: v.Scope,
        Mountpoint: v.Mountpoint,
        Labels: Object.entries(v.Labels ?? {})
          .map(([k, val]) => `${k}=${val}`)
          .join(','),
        Links: 'N/A',
        Size: 'N/A',
        CreatedAt: v.CreatedAt,
      }));
    for (const w of r.Warnings ?? []) ctx.stderr.write(`${w}\n`);
    if (flags.quiet) {
      for (const row of rows) ctx.stdout.write(`${row.Name}\n`);
      return 0;
    }
    ctx.stdout.write(formatRows(flags.format, rows, VOLUME_TITLES, 'table {{.Driver}}\t{{.Name}}'));
    return 0;
  },
);

export const volumeInspectCommand = command(
  {
    name: 'volume inspect',
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    minArgs: 1,
    flags: [{ name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' }],
  },
  async (ctx, { flags, args }) => inspectEach(ctx, args, (a) => inspectVolume(ctx.client(), a), flags.format),
);

export const volumeRmCommand = command(
  {
    name: 'volume rm',
    aliases: ['volume remove'],
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes',
    minArgs: 1,
    flags: [{ name: 'force', short: 'f', kind: 'bool', help: 'Force the removal of one or more volumes' }],
  },
  async (ctx, { flags, args }) => {
    return forEachArg(ctx, args, async (a) => {
      await removeVolume(ctx.client(), a, flags.force);
      ctx.stdout.write(`${a}\n`);
    });
  },
);

export const volumePruneCommand = command(
  {
    name: 'volume prune',
    usage: '[OPTIONS]',
    description: 'Remove unused local volumes',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused volumes, not just anonymous ones' },
      { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "label=<label>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
  },
  async (ctx, { flags }) => {
    const filters = parseFilterFlags(flags.filter);
    if (flags.all) filters.all = ['true'];
    const warning = flags.all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!flags.force && !(await confirm(ctx, warning))) return 0;
    const report = await pruneVolumes(ctx.client(), filters);
    const deleted = report.VolumesDeleted ?? [];
    if (deleted.length > 0) ctx.stdout.write(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
);
