/** Small helpers of the network, volume and df routes: JSON bodies and empty answers. */
import { errorMessage, invalidArgument } from '../../common/errors';
import type { RequestContext } from '../context';

const MAX_JSON_BODY = 1 << 20;

/** The request's JSON body; a missing body is null. */
export async function readJsonBody(ctx: RequestContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_JSON_BODY) throw invalidArgument('request body too large');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${errorMessage(err)}`);
  }
}

/** The body as an object ({} when absent); 400 for anything else. */
export async function readJsonObject<T extends object>(ctx: RequestContext): Promise<Partial<T>> {
  const body = await readJsonBody(ctx);
  if (body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('request body must be a JSON object');
  return body as Partial<T>;
}

export function answerStatus(ctx: RequestContext, status: number): void {
  ctx.res.writeHead(status);
  ctx.res.end();
}

/** A map of strings from a body field (null/absent → {}); 400 otherwise. */
export function stringMapField(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`${field} must be an object`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidArgument(`${field}.${k} must be a string`);
  }
  return { ...(value as Record<string, string>) };
}
