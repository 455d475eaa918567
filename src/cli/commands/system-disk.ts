/** `system df [-v]` and `system prune [-a] [--volumes] [--filter]`, as the docker CLI prints them. */
import { diskUsage, pruneNetworks, pruneVolumes } from '../../client';
import { command } from '../command';
import { ellipsis, formatRows, shortId } from '../output';
import { humanSize, timeAgo } from '../render/units';
import { parseFilterFlags } from './images';
import { confirm } from './networks';

function reclaimable(amount: number, total: number): string {
  if (total > 0) return `${humanSize(amount)} (${Math.floor((amount * 100) / total)}%)`;
  return humanSize(amount);
}

export const systemDfCommand = command(
  {
    name: 'system df',
    usage: '[OPTIONS]',
    description: 'Show docker disk usage',
    maxArgs: 0,
    flags: [
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'verbose', short: 'v', kind: 'bool', help: 'Show detailed information on space usage' },
    ],
  },
  async (ctx, { flags }) => {
    const du = await diskUsage(ctx.client());
    const images = du.Images ?? [];
    const containers = du.Containers ?? [];
    const volumes = du.Volumes ?? [];
    const now = Date.now();
    if (flags.verbose) {
      let out = 'Images space usage:\n\n';
      out += formatRows(
        '',
        images.map((i) => {
          const [repoTag = '<none>:<none>'] = i.RepoTags;
          const colon = repoTag.lastIndexOf(':');
          return {
            Repository: repoTag.slice(0, colon),
            Tag: repoTag.slice(colon + 1),
            ID: shortId(i.Id),
            CreatedSince: `${timeAgo(i.Created * 1000, now)}`,
            Size: humanSize(i.Size),
            SharedSize: humanSize(i.SharedSize < 0 ? 0 : i.SharedSize),
            UniqueSize: humanSize(i.Size - (i.SharedSize < 0 ? 0 : i.SharedSize)),
            Containers: String(i.Containers),
          };
        }),
        {
          Repository: 'REPOSITORY',
          Tag: 'TAG',
          ID: 'IMAGE ID',
          CreatedSince: 'CREATED',
          Size: 'SIZE',
          SharedSize: 'SHARED SIZE',
          UniqueSize: 'UNIQUE SIZE',
          Containers: 'CONTAINERS',
        },
        'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
      );
      out += '\nContainers space usage:\n\n';
      out += formatRows(
        '',
        containers.map((c) => ({
          ID: shortId(c.Id),
          Image: ellipsis(c.Image, 20),
          Command: `"${ellipsis(c.Command, 20)}"`,
          LocalVolumes: String(c.Mounts.filter((m) => (m as { Type?: string }).Type === 'volume').length),
          Size: humanSize(c.SizeRw ?? 0),
          RunningFor: timeAgo(c.Created * 1000, now),
          Status: c.Status,
          Names: (c.Names[0] ?? '').replace(/^\//, ''),
        })),
        {
          ID: 'CONTAINER ID',
          Image: 'IMAGE',
          Command: 'COMMAND',
          LocalVolumes: 'LOCAL VOLUMES',
          Size: 'SIZE',
          RunningFor: 'CREATED',
          Status: 'STATUS',
          Names: 'NAMES',
        },
        'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
      );
      out += '\nLocal Volumes space usage:\n\n';
      out += formatRows(
        '',
        volumes.map((v) => ({
          Name: v.Name,
          Links: String(v.UsageData?.RefCount ?? 0),
          Size: humanSize(Math.max(0, v.UsageData?.Size ?? 0)),
        })),
        { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' },
        'table {{.Name}}\t{{.Links}}\t{{.Size}}',
      );
      out += '\nBuild cache usage: 0B\n\n';
      out += 'CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n';
      ctx.stdout.write(out);
      return 0;
    }
    const imageTotal = du.LayersSize ?? images.reduce((n, i) => n + i.Size, 0);
    const used = images.filter((i) => i.Containers > 0).reduce((n, i) => n + i.Size, 0);
    const containerTotal = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
    const containerFree = containers.filter((c) => c.State !== 'running').reduce((n, c) => n + (c.SizeRw ?? 0), 0);
    const volumeSize = (v: (typeof volumes)[number]) => Math.max(0, v.UsageData?.Size ?? 0);
    const volumeTotal = volumes.reduce((n, v) => n + volumeSize(v), 0);
    const volumeFree = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + volumeSize(v), 0);
    const rows = [
      {
        Type: 'Images',
        TotalCount: String(images.length),
        Active: String(images.filter((i) => i.Containers > 0).length),
        Size: humanSize(imageTotal),
        Reclaimable: reclaimable(Math.max(0, imageTotal - used), imageTotal),
      },
      {
        Type: 'Containers',
        TotalCount: String(containers.length),
        Active: String(containers.filter((c) => c.State === 'running').length),
        Size: humanSize(containerTotal),
        Reclaimable: reclaimable(containerFree, containerTotal),
      },
      {
        Type: 'Local Volumes',
        TotalCount: String(volumes.length),
        Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
        Size: humanSize(volumeTotal),
        Reclaimable: reclaimable(volumeFree, volumeTotal),
      },
      { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
    ];
    ctx.stdout.write(
      formatRows(
        flags.format,
        rows,
        { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
        'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      ),
    );
    return 0;
  },
);

export const systemPruneCommand = command(
  {
    name: 'system prune',
    usage: '[OPTIONS]',
    description: 'Remove unused data',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images not just dangling ones' },
      { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "label=<key>=<value>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
      { name: 'volumes', kind: 'bool', help: 'Prune anonymous volumes' },
    ],
  },
  async (ctx, { flags }) => {
    const lines = ['  - all stopped containers', '  - all networks not used by at least one container'];
    if (flags.volumes) lines.push('  - all anonymous volumes not used by at least one container');
    lines.push(
      flags.all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    );
    lines.push('  - unused build cache');
    if (!flags.force && !(await confirm(ctx, `WARNING! This will remove:\n${lines.join('\n')}\n`))) return 0;
    const client = ctx.client();
    const filters = parseFilterFlags(flags.filter);
    let reclaimed = 0;
    const c = await client.pruneContainers({ filters });
    reclaimed += c.SpaceReclaimed ?? 0;
    if ((c.ContainersDeleted ?? []).length > 0) {
      ctx.stdout.write(`Deleted Containers:\n${(c.ContainersDeleted ?? []).map((x) => `${x}\n`).join('')}\n`);
    }
    const n = await pruneNetworks(client, filters);
    if ((n.NetworksDeleted ?? []).length > 0) {
      ctx.stdout.write(`Deleted Networks:\n${(n.NetworksDeleted ?? []).map((x) => `${x}\n`).join('')}\n`);
    }
    if (flags.volumes) {
      const v = await pruneVolumes(client, filters);
      reclaimed += v.SpaceReclaimed ?? 0;
      if ((v.VolumesDeleted ?? []).length > 0) {
        ctx.stdout.write(`Deleted Volumes:\n${(v.VolumesDeleted ?? []).map((x) => `${x}\n`).join('')}\n`);
      }
    }
    const imageFilters = { ...filters, ...(flags.all ? { dangling: ['false'] } : {}) };
    const i = await client.pruneImages({ filters: imageFilters });
    reclaimed += i.SpaceReclaimed ?? 0;
    const deleted = i.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      ctx.stdout.write('Deleted Images:\n');
      for (const d of deleted) {
        if (d.Untagged) ctx.stdout.write(`untagged: ${d.Untagged}\n`);
        if (d.Deleted) ctx.stdout.write(`deleted: ${d.Deleted}\n`);
      }
      ctx.stdout.write('\n');
    }
    ctx.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
);
