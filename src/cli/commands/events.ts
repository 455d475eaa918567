/**
 * `events`: the daemon's events as the docker CLI prints them — one line per
 * event, `<time> <type> <action> <actor id> (<attributes, sorted>)`, or
 * through `--format` (`{{json .}}` prints the message as sent).
 */
import { EXACT } from '../../client';
import type { EventMessage } from '../../wire';
import { command } from '../command';
import { renderTemplate } from '../render/template';
import { timestampArg } from './containers';
import { parseFilterFlags } from './images';

/** Go's RFC3339NanoFixed in UTC: nine fraction digits. */
function fixedTime(e: EventMessage): string {
  const exact = (e as EventMessage & { [EXACT]?: string })[EXACT];
  const ns = exact !== undefined ? BigInt(exact) : BigInt(Math.round(e.timeNano || e.time * 1e9));
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso}.${frac}Z`;
}

export function formatEventLine(e: EventMessage): string {
  let line = e.timeNano || e.time ? `${fixedTime(e)} ` : '';
  line += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const keys = Object.keys(e.Actor.Attributes ?? {}).sort();
  if (keys.length > 0) line += ` (${keys.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ')})`;
  return `${line}\n`;
}

/** The Go field names templates see (events.Message). */
function templateView(e: EventMessage): Record<string, unknown> {
  return {
    Status: e.status ?? '',
    ID: e.id ?? '',
    From: e.from ?? '',
    Type: e.Type,
    Action: e.Action,
    Actor: e.Actor,
    Scope: e.scope,
    Time: e.time,
    TimeNano: e.timeNano,
  };
}

export const eventsCommand = command(
  {
    name: 'events',
    aliases: ['system events'],
    usage: '[OPTIONS]',
    description: 'Get real time events from the server',
    maxArgs: 0,
    flags: [
      {
        name: 'filter',
        short: 'f',
        kind: 'list',
        valueName: 'filter',
        help: 'Filter output based on conditions provided',
      },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'since', kind: 'string', help: 'Show all events created since timestamp' },
      { name: 'until', kind: 'string', help: 'Stream events until this timestamp' },
    ],
  },
  async (ctx, { flags }) => {
    const since = timestampArg(flags.since);
    const until = timestampArg(flags.until);
    const format = flags.format.trim();
    const stream = ctx.client().events({
      ...(since === '' ? {} : { since }),
      ...(until === '' ? {} : { until }),
      filters: parseFilterFlags(flags.filter),
    });
    for await (const e of stream) {
      if (format === '') ctx.stdout.write(formatEventLine(e));
      else if (format === '{{json .}}' || format === 'json') ctx.stdout.write(`${JSON.stringify(e)}\n`);
      else ctx.stdout.write(`${renderTemplate(format, templateView(e))}\n`);
    }
    return 0;
  },
);
