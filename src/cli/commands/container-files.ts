/** `diff`, `export`, `commit`: a container's files as the docker CLI shows them. */
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { commitContainer, containerChanges, exportContainer } from '../../client';
import { CliExit, command } from '../command';

const KIND_LETTER = ['C', 'A', 'D'] as const;

export const diffCommand = command(
  {
    name: 'diff',
    aliases: ['container diff'],
    usage: 'CONTAINER',
    description: "Inspect changes to files or directories on a container's filesystem",
    minArgs: 1,
    maxArgs: 1,
    flags: [],
  },
  async (ctx, { args }) => {
    const changes = await containerChanges(ctx.client(), args[0] as string);
    for (const c of changes) ctx.stdout.write(`${KIND_LETTER[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
);

export const exportCommand = command(
  {
    name: 'export',
    aliases: ['container export'],
    usage: '[OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    minArgs: 1,
    maxArgs: 1,
    flags: [{ name: 'output', short: 'o', kind: 'string', help: 'Write to a file, instead of STDOUT' }],
  },
  async (ctx, { flags, args }) => {
    if (flags.output === '' && ctx.stdout.isTTY) {
      throw new CliExit('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    if (flags.output !== '') {
      const dir = path.dirname(path.resolve(flags.output));
      await fs.stat(dir).catch(() => {
        throw new CliExit(`failed to export container: invalid output path: directory "${dir}" does not exist`);
      });
    }
    const stream = await exportContainer(ctx.client(), args[0] as string);
    if (flags.output === '') {
      await pipeline(stream, ctx.stdout, { end: false });
      return 0;
    }
    // As docker's CopyToFile: a temporary file beside the target, renamed when complete.
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

/** `REPO[:TAG]` split at the last colon after the last slash (a registry port is not a tag). */
function splitRepoTag(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  if (at > ref.lastIndexOf('/')) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  return { repo: ref, tag: '' };
}

export const commitCommand = command(
  {
    name: 'commit',
    aliases: ['container commit'],
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    minArgs: 1,
    maxArgs: 2,
    flags: [
      {
        name: 'author',
        short: 'a',
        kind: 'string',
        help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
      },
      { name: 'change', short: 'c', kind: 'list', help: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', help: 'Commit message' },
      { name: 'pause', short: 'p', kind: 'bool', default: true, help: 'Pause container during commit' },
    ],
  },
  async (ctx, { flags, args }) => {
    const [container = '', reference = ''] = args;
    const { repo, tag } = reference === '' ? { repo: '', tag: '' } : splitRepoTag(reference);
    const answer = await commitContainer(ctx.client(), container, {
      repo,
      tag,
      comment: flags.message,
      author: flags.author,
      changes: flags.change,
      pause: flags.pause,
    });
    ctx.stdout.write(`${answer.Id}\n`);
    return 0;
  },
);
