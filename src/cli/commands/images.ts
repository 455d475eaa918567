/** `images`, `history`, `tag`, `rmi`, `import`, `load`, `save`, `image prune`, `image inspect`. */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ClientError } from '../../client';
import { errorMessage } from '../../common/errors';
import { familiarRepository, parseReference } from '../../common/reference';
import type { Filters, HistoryResponseItem, ImageSummary } from '../../wire';
import { type CliContext, CliExit, command } from '../command';
import { displayJsonMessages, ellipsis, formatRows, goTimeString, indentJson, shortId } from '../output';
import { renderTemplate } from '../render/template';
import { humanSize, timeAgo } from '../render/units';

/** Archives are streamed to the daemon in large chunks: fewer writes and chunk headers. */
const UPLOAD_CHUNK = 1 << 20;

/** Parses `-f key=value` flags into the filters map. */
export function parseFilterFlags(values: readonly string[]): Filters {
  const filters: Filters = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliExit(`bad format of filter (expected name=value)`, 125);
    const key = v.slice(0, eq).trim().toLowerCase();
    filters[key] = [...(filters[key] ?? []), v.slice(eq + 1).trim()];
  }
  return filters;
}

const IMAGE_TITLES = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
  Containers: 'CONTAINERS',
};

interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
  Containers: string;
}

/** One row per repository:tag (and per digest with --digests), as docker's image formatter does. */
export function imageRows(
  images: readonly ImageSummary[],
  options: { digests: boolean; noTrunc: boolean },
): ImageRow[] {
  const rows: ImageRow[] = [];
  const now = Date.now();
  for (const img of images) {
    const base = {
      ID: options.noTrunc ? img.Id : shortId(img.Id),
      CreatedSince: timeAgo(img.Created * 1000, now),
      CreatedAt: goTimeString(new Date(img.Created * 1000)),
      Size: humanSize(img.Size),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.VirtualSize ?? img.Size),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    };
    const tags = new Map<string, string[]>();
    const digests = new Map<string, string[]>();
    for (const t of img.RepoTags ?? []) {
      if (t === '<none>:<none>') continue;
      const ref = parseReference(t);
      const repo = familiarRepository(ref);
      const list = tags.get(repo) ?? [];
      if (ref.tag !== undefined) list.push(ref.tag);
      tags.set(repo, list);
    }
    for (const d of img.RepoDigests ?? []) {
      if (d === '<none>@<none>') continue;
      const ref = parseReference(d);
      const repo = familiarRepository(ref);
      if (ref.digest !== undefined) digests.set(repo, [...(digests.get(repo) ?? []), ref.digest]);
    }
    const repos = [...new Set([...tags.keys(), ...digests.keys()])].sort();
    if (repos.length === 0) {
      rows.push({ Repository: '<none>', Tag: '<none>', Digest: '<none>', ...base });
      continue;
    }
    for (const repo of repos) {
      const repoTags = tags.get(repo) ?? [];
      const repoDigests = digests.get(repo) ?? [];
      const tagList = repoTags.length > 0 ? repoTags : ['<none>'];
      if (options.digests && repoDigests.length > 0) {
        for (const tag of tagList)
          for (const d of repoDigests) rows.push({ Repository: repo, Tag: tag, Digest: d, ...base });
      } else {
        for (const tag of tagList) {
          rows.push({ Repository: repo, Tag: tag, Digest: repoDigests[0] ?? '<none>', ...base });
        }
      }
    }
  }
  return rows;
}

export const imagesCommand = command(
  {
    name: 'images',
    aliases: ['image ls', 'image list'],
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    description: 'List images',
    maxArgs: 1,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all images (default hides intermediate images)' },
      { name: 'digests', kind: 'bool', help: 'Show digests' },
      {
        name: 'filter',
        short: 'f',
        kind: 'list',
        valueName: 'filter',
        help: 'Filter output based on conditions provided',
      },
      {
        name: 'format',
        kind: 'string',
        help: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
      },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
    ],
  },
  async (ctx, { flags, args }) => {
    const filters = parseFilterFlags(flags.filter);
    if (args[0] !== undefined) filters.reference = [...(filters.reference ?? []), args[0]];
    const images = await ctx.client().listImages({ all: flags.all, filters, digests: flags.digests });
    const rows = imageRows(images, { digests: flags.digests, noTrunc: flags['no-trunc'] });
    if (flags.quiet) {
      for (const r of rows) ctx.stdout.write(`${r.ID}\n`);
      return 0;
    }
    const table = flags.digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    ctx.stdout.write(formatRows(flags.format, rows, IMAGE_TITLES, table));
    return 0;
  },
);

const HISTORY_TITLES = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

export function historyRows(items: readonly HistoryResponseItem[], options: { human: boolean; noTrunc: boolean }) {
  const now = Date.now();
  return items.map((h) => {
    const createdBy = h.CreatedBy.replaceAll('\t', ' ');
    const created = new Date(h.Created * 1000);
    return {
      ID: h.Id === '<missing>' || options.noTrunc ? h.Id : shortId(h.Id),
      CreatedSince: options.human ? timeAgo(created, now) : created.toISOString().replace(/\.\d+Z$/, 'Z'),
      CreatedAt: options.human ? goTimeString(created) : created.toISOString().replace(/\.\d+Z$/, 'Z'),
      CreatedBy: options.noTrunc ? createdBy : ellipsis(createdBy, 45),
      Size: options.human ? humanSize(h.Size) : String(h.Size),
      Comment: h.Comment,
      Tags: h.Tags ?? [],
    };
  });
}

export const historyCommand = command(
  {
    name: 'history',
    aliases: ['image history'],
    usage: '[OPTIONS] IMAGE',
    description: 'Show the history of an image',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      {
        name: 'human',
        short: 'H',
        kind: 'bool',
        default: true,
        help: 'Print sizes and dates in human readable format',
      },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
      { name: 'platform', kind: 'string', help: 'Show history for the given platform', hidden: true },
    ],
  },
  async (ctx, { flags, args }) => {
    const items = await ctx.client().imageHistory(args[0]!);
    const rows = historyRows(items, { human: flags.human, noTrunc: flags['no-trunc'] });
    if (flags.quiet) {
      for (const r of rows) ctx.stdout.write(`${r.ID}\n`);
      return 0;
    }
    const table = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    ctx.stdout.write(formatRows(flags.format, rows, HISTORY_TITLES, table));
    return 0;
  },
);

export const tagCommand = command(
  {
    name: 'tag',
    aliases: ['image tag'],
    usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    minArgs: 2,
    maxArgs: 2,
    flags: [],
  },
  async (ctx, { args }) => {
    const target = args[1]!;
    let ref: ReturnType<typeof parseReference>;
    try {
      ref = parseReference(target);
    } catch (err) {
      throw new CliExit(`Error parsing reference: "${target}" is not a valid repository/tag: ${errorMessage(err)}`);
    }
    if (ref.digest !== undefined) throw new CliExit('refusing to create a tag with a digest reference');
    await ctx.client().tagImage(args[0]!, familiarRepository(ref), ref.tag ?? 'latest');
    return 0;
  },
);

export const rmiCommand = command(
  {
    name: 'rmi',
    aliases: ['image rm', 'image remove'],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    minArgs: 1,
    flags: [
      { name: 'force', short: 'f', kind: 'bool', help: 'Force removal of the image' },
      { name: 'no-prune', kind: 'bool', help: 'Do not delete untagged parents' },
    ],
  },
  async (ctx, { flags, args }) => {
    let failed = false;
    for (const name of args) {
      try {
        const items = await ctx.client().removeImage(name, { force: flags.force, noPrune: flags['no-prune'] });
        for (const item of items) {
          if (item.Untagged) ctx.stdout.write(`Untagged: ${item.Untagged}\n`);
          if (item.Deleted) ctx.stdout.write(`Deleted: ${item.Deleted}\n`);
        }
      } catch (err) {
        if (!(err instanceof ClientError) || err.isConnectionError) throw err;
        ctx.stderr.write(`Error response from daemon: ${err.message}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
);

export const importCommand = command(
  {
    name: 'import',
    aliases: ['image import'],
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    minArgs: 1,
    maxArgs: 2,
    flags: [
      { name: 'change', short: 'c', kind: 'list', help: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', help: 'Set commit message for imported image' },
      { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable' },
    ],
  },
  async (ctx, { flags, args }) => {
    const source = args[0]!;
    let repo: string | undefined;
    let tag: string | undefined;
    if (args[1] !== undefined) {
      let ref: ReturnType<typeof parseReference>;
      try {
        ref = parseReference(args[1]);
      } catch (err) {
        throw new CliExit(errorMessage(err));
      }
      repo = familiarRepository(ref);
      tag = ref.tag;
    }
    if (/^https?:\/\//.test(source)) {
      throw new CliExit(
        'Error response from daemon: importing from a URL is not supported: berth has no network access to fetch it',
      );
    }
    const body = source === '-' ? ctx.stdin : createReadStream(path.resolve(source), { highWaterMark: UPLOAD_CHUNK });
    if (source !== '-')
      await fs.access(path.resolve(source)).catch((err) => {
        throw new CliExit(
          `open ${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : errorMessage(err)}`,
        );
      });
    const options = {
      changes: flags.change,
      ...(repo !== undefined ? { repo } : {}),
      ...(tag !== undefined ? { tag } : {}),
      ...(flags.message !== '' ? { message: flags.message } : {}),
      ...(flags.platform !== '' ? { platform: flags.platform } : {}),
    };
    await displayJsonMessages(ctx, ctx.client().importImage(body, options));
    return 0;
  },
);

export const loadCommand = command(
  {
    name: 'load',
    aliases: ['image load'],
    usage: '[OPTIONS]',
    description: 'Load an image from a tar archive or STDIN',
    maxArgs: 0,
    flags: [
      { name: 'input', short: 'i', kind: 'string', help: 'Read from tar archive file, instead of STDIN' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the load output' },
      { name: 'platform', kind: 'list', help: 'Load only the given platform(s)', hidden: true },
    ],
  },
  async (ctx, { flags }) => {
    let body: NodeJS.ReadableStream & import('node:stream').Readable;
    if (flags.input !== '') {
      await fs.access(flags.input).catch((err) => {
        throw new CliExit(
          `open ${flags.input}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : errorMessage(err)}`,
        );
      });
      body = createReadStream(flags.input, { highWaterMark: UPLOAD_CHUNK });
    } else {
      if (ctx.stdin.isTTY) throw new CliExit('requested load from stdin, but stdin is empty');
      body = ctx.stdin;
    }
    // Like docker: quiet (no progress bars) unless stdout is a terminal.
    const quiet = flags.quiet || !ctx.stdout.isTTY;
    // -q only asks the daemon for no progress; the "Loaded image" lines are printed all the same, as docker does.
    await displayJsonMessages(ctx, ctx.client().loadImage(body, { quiet }));
    return 0;
  },
);

export const saveCommand = command(
  {
    name: 'save',
    aliases: ['image save'],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    minArgs: 1,
    flags: [
      { name: 'output', short: 'o', kind: 'string', help: 'Write to a file, instead of STDOUT' },
      { name: 'platform', kind: 'list', help: 'Save only the given platform(s)', hidden: true },
    ],
  },
  async (ctx, { flags, args }) => {
    if (flags.output === '' && ctx.stdout.isTTY) {
      throw new CliExit('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    if (flags.output !== '') {
      const dir = path.dirname(path.resolve(flags.output));
      await fs.stat(dir).catch(() => {
        throw new CliExit(`failed to save image: invalid output path: directory "${dir}" does not exist`);
      });
    }
    const stream = await ctx.client().saveImages(args);
    if (flags.output === '') {
      await pipeline(stream, ctx.stdout, { end: false });
      return 0;
    }
    // Like docker's CopyToFile: a temporary file beside the target, renamed when complete.
    const target = path.resolve(flags.output);
    const tmp = path.join(path.dirname(target), `.docker_temp_${process.pid}_${Date.now()}`);
    try {
      await pipeline(stream, createWriteStream(tmp));
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return 0;
  },
);

export const imagePruneCommand = command(
  {
    name: 'image prune',
    usage: '[OPTIONS]',
    description: 'Remove unused images',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Remove all unused images, not just dangling ones' },
      { name: 'filter', kind: 'list', valueName: 'filter', help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: 'force', short: 'f', kind: 'bool', help: 'Do not prompt for confirmation' },
    ],
  },
  async (ctx, { flags }) => {
    const filters = parseFilterFlags(flags.filter);
    if (flags.all) filters.dangling = ['false'];
    if (!flags.force) {
      const warning = flags.all
        ? 'WARNING! This will remove all images without at least one container associated to them.'
        : 'WARNING! This will remove all dangling images.';
      ctx.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
      const answer = await readLine(ctx.stdin);
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const report = await ctx.client().pruneImages({ filters });
    const deleted = report.ImagesDeleted ?? [];
    if (deleted.length > 0) {
      ctx.stdout.write('Deleted Images:\n');
      for (const d of deleted) {
        if (d.Untagged) ctx.stdout.write(`untagged: ${d.Untagged}\n`);
        if (d.Deleted) ctx.stdout.write(`deleted: ${d.Deleted}\n`);
      }
      ctx.stdout.write('\n');
    }
    ctx.stdout.write(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
);

async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    };
    const done = () => {
      input.off('data', onData);
      input.off('end', done);
      input.pause();
      resolve(text.split('\n')[0] ?? '');
    };
    input.on('data', onData);
    input.on('end', done);
  });
}

/** Renders inspect results: JSON array with four-space indent, or a template per object. */
export function renderInspect(objects: readonly unknown[], format: string): string {
  if (format === '') return `${indentJson(objects)}\n`;
  const tmpl = format === 'json' ? '{{json .}}' : format;
  return objects.map((o) => `${renderTemplate(tmpl, o)}\n`).join('');
}

/**
 * docker's `X inspect A B ...`: what was found is printed (JSON array or a template per
 * object), then the daemon's errors; the exit code is 1 if anything was not found.
 */
export async function inspectEach(
  ctx: CliContext,
  names: readonly string[],
  fetch: (name: string) => Promise<unknown>,
  format: string,
): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await fetch(name));
    } catch (err) {
      if (!(err instanceof ClientError) || err.isConnectionError) throw err;
      errors.push(`Error response from daemon: ${err.message}`);
    }
  }
  ctx.stdout.write(renderInspect(found, format));
  if (errors.length === 0) return 0;
  ctx.stderr.write(`${errors.join('\n')}\n`);
  return 1;
}

export const imageInspectCommand = command(
  {
    name: 'image inspect',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'platform', kind: 'string', help: 'Inspect a specific platform', hidden: true },
    ],
  },
  async (ctx, { flags, args }) => inspectEach(ctx, args, (name) => ctx.client().inspectImage(name), flags.format),
);
