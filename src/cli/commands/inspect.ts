/** `inspect`: any object by name or ID; images for now, containers, networks and volumes as they arrive. */
import { ClientError } from '../../client';
import { command } from '../command';
import { renderInspect } from './images';

export const inspectCommand = command(
  {
    name: 'inspect',
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on Docker objects',
    minArgs: 1,
    flags: [
      { name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' },
      { name: 'size', short: 's', kind: 'bool', help: 'Display total file sizes if the type is container' },
      { name: 'type', kind: 'string', help: 'Return JSON for specified type' },
    ],
  },
  async (ctx, { flags, args }) => {
    if (flags.type !== '' && flags.type !== 'image') {
      ctx.stderr.write(`"${flags.type}" is not a valid value for --type\n`);
      return 1;
    }
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args) {
      try {
        found.push(await ctx.client().inspectImage(name));
      } catch (err) {
        if (!(err instanceof ClientError) || err.isConnectionError) throw err;
        if (!err.isNotFound) throw err;
        errors.push(flags.type === 'image' ? `Error: No such image: ${name}` : `Error: No such object: ${name}`);
      }
    }
    ctx.stdout.write(renderInspect(found, flags.format));
    if (errors.length > 0) {
      ctx.stderr.write(`${errors.join('\n')}\n`);
      return 1;
    }
    return 0;
  },
);
