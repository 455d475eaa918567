/** `inspect`: any object by name or ID — a container first, then an image, as docker tries them. */
import { ClientError, type EngineClient } from '../../client';
import { command } from '../command';
import { renderInspect } from './images';

type Kind = 'container' | 'image';

async function inspectOne(client: EngineClient, name: string, kinds: Kind[], size: boolean): Promise<unknown> {
  for (const kind of kinds) {
    try {
      return kind === 'container' ? await client.inspectContainer(name, { size }) : await client.inspectImage(name);
    } catch (err) {
      // A 404 (or a name that is not valid for this type) means "not this type": try the next.
      if (!(err instanceof ClientError) || err.isConnectionError) throw err;
      if (!err.isNotFound && err.status !== 400) throw err;
    }
  }
  return undefined;
}

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
    let kinds: Kind[];
    if (flags.type === '') kinds = ['container', 'image'];
    else if (flags.type === 'container' || flags.type === 'image') kinds = [flags.type];
    else {
      ctx.stderr.write(`"${flags.type}" is not a valid value for --type\n`);
      return 1;
    }
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args) {
      const obj = await inspectOne(ctx.client(), name, kinds, flags.size);
      if (obj === undefined) errors.push(`Error: No such ${flags.type === '' ? 'object' : flags.type}: ${name}`);
      else found.push(obj);
    }
    ctx.stdout.write(renderInspect(found, flags.format));
    if (errors.length > 0) {
      ctx.stderr.write(`${errors.join('\n')}\n`);
      return 1;
    }
    return 0;
  },
);
