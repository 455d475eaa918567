/**
 * Docker's command-line grammar (spf13/pflag and cobra as docker configures
 * them), declared as data: a command lists its flags, its argument count and
 * whether flags may follow positional arguments; `parseCommand` turns argv
 * into typed values or a `CliUsageError` carrying docker's wording.
 *
 * Pure: no I/O. Help text is returned as strings for the caller to print.
 */

export type FlagKind = 'bool' | 'string' | 'list' | 'int';

export interface FlagSpec {
  /** Long name, without dashes: 'all', 'log-level'. */
  readonly name: string;
  /** One-letter shorthand, without the dash. */
  readonly short?: string;
  readonly kind: FlagKind;
  /** Value when the flag is absent (false, '', [] or 0 if omitted). */
  readonly default?: boolean | string | number | readonly string[];
  readonly help: string;
  /** Accepted but left out of help. */
  readonly hidden?: boolean;
  /** Shown after the flag in help; defaults to the kind (string, list, int). */
  readonly valueName?: string;
}

export interface CommandSpec {
  /** Command path after the program name: 'images', 'image ls', 'run'. */
  readonly name: string;
  /** The usage after the command path: '[OPTIONS] [REPOSITORY[:TAG]]'. */
  readonly usage: string;
  /** One-line description, shown in help and command lists. */
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  readonly minArgs?: number;
  readonly maxArgs?: number;
  /**
   * Whether flags may follow positional arguments (default true). False for
   * run, create and exec: everything from the first positional argument on
   * belongs to the container's command.
   */
  readonly interspersed?: boolean;
  /** Other command paths for the same command, e.g. ['image ls', 'image list']. */
  readonly aliases?: readonly string[];
  /** Free text shown under "Examples:" in help. */
  readonly examples?: string;
}

type KindValue<K extends FlagKind> = K extends 'bool'
  ? boolean
  : K extends 'string'
    ? string
    : K extends 'list'
      ? string[]
      : number;

/** The typed values of a flag list: `{ all: boolean, format: string, ... }`. */
export type FlagValues<F extends readonly FlagSpec[]> = {
  [S in F[number] as S['name']]: KindValue<S['kind']>;
};

export interface ParseResult<V = Record<string, boolean | string | string[] | number>> {
  flags: V;
  /** Positional arguments, in order (everything after `--` included). */
  args: string[];
  /** `--help` (or `-h` where the command does not claim it) was given. */
  help: boolean;
  /** Names of the flags given on the command line. */
  changed: ReadonlySet<string>;
}

export interface ParseOptions {
  /** Program name used in messages: 'docker' or 'berth' (default 'docker'). */
  program?: string;
}

/**
 * A usage error. `message` is the whole text docker prints (reason, usage line
 * and the --help hint); `reason` is its first line, e.g. "unknown flag: --foo".
 * `exitCode` is docker's: 125 for flag errors, 1 for argument-count errors.
 */
export class CliUsageError extends Error {
  readonly reason: string;
  readonly exitCode: number;

  constructor(message: string, reason: string = message, exitCode = 125) {
    super(message);
    this.name = 'CliUsageError';
    this.reason = reason;
    this.exitCode = exitCode;
  }
}

/** Declares a command, keeping flag names and kinds as literal types. */
export function defineCommand<const S extends CommandSpec>(spec: S): S {
  return spec;
}

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'bool', help: 'Print usage', hidden: true };

function defaultOf(flag: FlagSpec): boolean | string | string[] | number {
  if (flag.default !== undefined) return Array.isArray(flag.default) ? [...flag.default] : (flag.default as never);
  switch (flag.kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'list':
      return [];
    case 'int':
      return 0;
  }
}

/** pflag's name for a flag in value errors: "-n, --last" or "--last". */
function flagLabel(flag: FlagSpec): string {
  return flag.short ? `-${flag.short}, --${flag.name}` : `--${flag.name}`;
}

/** strconv.ParseBool. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(s)) return false;
  return undefined;
}

/** strconv.ParseInt(s, 0, 64): decimal, 0x, 0o, 0b or leading-0 octal, underscores after a prefix. */
function parseGoInt(s: string): number | 'syntax' | 'range' {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return 'syntax';
  let body = m[2]!;
  if (body.includes('_')) {
    if (!/^0[xXbBoO]?(_?[0-9a-fA-F])+$/.test(body) || /^[1-9]/.test(body)) return 'syntax';
    body = body.replace(/_/g, '');
  }
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  const big = BigInt(body) * (m[1] === '-' ? -1n : 1n);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return 'range';
  return Number(big);
}

interface Parser {
  flags: Record<string, boolean | string | string[] | number>;
  changed: Set<string>;
  byName: Map<string, FlagSpec>;
  byShort: Map<string, FlagSpec>;
}

function setValue(p: Parser, flag: FlagSpec, value: string, fail: (reason: string) => never): void {
  const invalid = (err: string): never =>
    fail(`invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flagLabel(flag))} flag: ${err}`);
  switch (flag.kind) {
    case 'bool': {
      const b = parseGoBool(value);
      if (b === undefined) invalid(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
      p.flags[flag.name] = b!;
      break;
    }
    case 'int': {
      const n = parseGoInt(value);
      if (n === 'syntax') invalid(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
      if (n === 'range') invalid(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
      p.flags[flag.name] = n as number;
      break;
    }
    case 'string':
      p.flags[flag.name] = value;
      break;
    case 'list': {
      const current = p.changed.has(flag.name) ? (p.flags[flag.name] as string[]) : [];
      current.push(value);
      p.flags[flag.name] = current;
      break;
    }
  }
  p.changed.add(flag.name);
}

function commandPath(program: string, name: string): string {
  return name ? `${program} ${name}` : program;
}

/** cobra's UseLine: "docker images [OPTIONS] [REPOSITORY[:TAG]]". */
export function useLine(spec: Pick<CommandSpec, 'name' | 'usage'>, program = 'docker'): string {
  const path = commandPath(program, spec.name);
  return spec.usage ? `${path} ${spec.usage}` : path;
}

/**
 * Parses argv (without the program and command names) against a command's
 * flags. Throws CliUsageError with docker's wording for unknown flags,
 * missing or malformed values and (unless help was asked for) a wrong number
 * of arguments.
 */
export function parseCommand<const S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
  options: ParseOptions = {},
): ParseResult<FlagValues<S['flags']>> {
  const program = options.program ?? 'docker';
  const path = commandPath(program, spec.name);
  const fail = (reason: string): never => {
    throw new CliUsageError(
      `${reason}\n\nUsage:  ${useLine(spec, program)}\n\nRun '${path} --help' for more information`,
      reason,
      125,
    );
  };

  const p: Parser = { flags: {}, changed: new Set(), byName: new Map(), byShort: new Map() };
  const all = [...spec.flags];
  if (!spec.flags.some((f) => f.name === 'help')) {
    const claimsH = spec.flags.some((f) => f.short === 'h');
    all.push(claimsH ? { name: 'help', kind: 'bool', help: HELP_FLAG.help, hidden: true } : HELP_FLAG);
  }
  for (const flag of all) {
    p.flags[flag.name] = defaultOf(flag);
    p.byName.set(flag.name, flag);
    if (flag.short) p.byShort.set(flag.short, flag);
  }

  const args: string[] = [];
  const interspersed = spec.interspersed ?? true;
  const rest = [...argv];
  while (rest.length > 0) {
    const s = rest.shift()!;
    if (s.length < 2 || s[0] !== '-') {
      args.push(s);
      if (!interspersed) {
        args.push(...rest);
        break;
      }
      continue;
    }
    if (s[1] === '-') {
      if (s.length === 2) {
        args.push(...rest);
        break;
      }
      parseLong(p, s, rest, fail);
    } else {
      parseShorts(p, s, rest, fail);
    }
  }

  const help = p.flags.help === true;
  delete p.flags.help;
  p.changed.delete('help');
  if (!help) checkArgs(spec, args, program);
  return { flags: p.flags as FlagValues<S['flags']>, args, help, changed: p.changed };
}

function parseLong(p: Parser, s: string, rest: string[], fail: (reason: string) => never): void {
  const body = s.slice(2);
  if (body[0] === '-' || body[0] === '=') fail(`bad flag syntax: ${s}`);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const flag = p.byName.get(name);
  if (!flag) fail(`unknown flag: --${name}`);
  let value: string;
  if (eq >= 0) value = body.slice(eq + 1);
  else if (flag!.kind === 'bool') value = 'true';
  else if (rest.length > 0) value = rest.shift()!;
  else fail(`flag needs an argument: ${s}`);
  setValue(p, flag!, value!, fail);
}

function parseShorts(p: Parser, s: string, rest: string[], fail: (reason: string) => never): void {
  let shorts = s.slice(1);
  while (shorts.length > 0) {
    const c = String.fromCodePoint(shorts.codePointAt(0)!);
    const flag = p.byShort.get(c);
    if (!flag) fail(`unknown shorthand flag: '${c}' in -${shorts}`);
    const after = shorts.slice(c.length);
    let value: string;
    if (after.length > 1 && after[0] === '=') {
      value = after.slice(1);
      shorts = '';
    } else if (flag!.kind === 'bool') {
      value = 'true';
      shorts = after;
    } else if (after.length > 0) {
      value = after;
      shorts = '';
    } else if (rest.length > 0) {
      value = rest.shift()!;
      shorts = '';
    } else {
      fail(`flag needs an argument: '${c}' in -${shorts}`);
    }
    setValue(p, flag!, value!, fail);
  }
}

function plural(n: number): string {
  return n === 1 ? 'argument' : 'arguments';
}

/** docker's cli.NoArgs / RequiresMinArgs / RequiresMaxArgs / RequiresRangeArgs / ExactArgs. */
function checkArgs(spec: CommandSpec, args: readonly string[], program: string): void {
  const min = spec.minArgs ?? 0;
  const max = spec.maxArgs ?? Number.POSITIVE_INFINITY;
  if (args.length >= min && args.length <= max) return;
  const path = commandPath(program, spec.name);
  const usage = `\n\nUsage:  ${useLine(spec, program)}\n\n`;
  let reason: string;
  let hint = `Run '${path} --help' for more information`;
  if (max === 0) reason = `${program}: '${path}' accepts no arguments`;
  else if (min === max) reason = `${program}: '${path}' requires ${min} ${plural(min)}`;
  else if (max === Number.POSITIVE_INFINITY) {
    reason = `${program}: '${path}' requires at least ${min} ${plural(min)}`;
    hint = `See '${path} --help' for more information`;
  } else if (min === 0) reason = `${program}: '${path}' requires at most ${max} ${plural(max)}`;
  else reason = `${program}: '${path}' requires at least ${min} and at most ${max} ${plural(max)}`;
  throw new CliUsageError(reason + usage + hint, reason, 1);
}

// ---------------------------------------------------------------------------
// Global flags

/** docker's global options, parsed before the command name. */
export const GLOBAL_FLAGS = [
  { name: 'config', kind: 'string', help: 'Location of client config files' },
  {
    name: 'context',
    short: 'c',
    kind: 'string',
    help: 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")',
  },
  { name: 'debug', short: 'D', kind: 'bool', help: 'Enable debug mode' },
  { name: 'host', short: 'H', kind: 'list', help: 'Daemon socket to connect to' },
  {
    name: 'log-level',
    short: 'l',
    kind: 'string',
    default: 'info',
    help: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
  },
  { name: 'tls', kind: 'bool', help: 'Use TLS; implied by --tlsverify' },
  { name: 'tlscacert', kind: 'string', help: 'Trust certs signed only by this CA' },
  { name: 'tlscert', kind: 'string', help: 'Path to TLS certificate file' },
  { name: 'tlskey', kind: 'string', help: 'Path to TLS key file' },
  { name: 'tlsverify', kind: 'bool', help: 'Use TLS and verify the remote' },
  { name: 'version', short: 'v', kind: 'bool', help: 'Print version information and quit' },
] as const satisfies readonly FlagSpec[];

export const ROOT_COMMAND = defineCommand({
  name: '',
  usage: '[OPTIONS] COMMAND',
  description: 'A self-sufficient runtime for containers',
  flags: GLOBAL_FLAGS,
  interspersed: false,
});

/**
 * Parses the global options up to the command name. `args[0]` is then the
 * command (undefined if none was given) and the rest its arguments.
 */
export function parseGlobalFlags(
  argv: readonly string[],
  options: ParseOptions & { flags?: readonly FlagSpec[] } = {},
): ParseResult<FlagValues<typeof GLOBAL_FLAGS>> {
  const spec = options.flags ? { ...ROOT_COMMAND, flags: options.flags } : ROOT_COMMAND;
  return parseCommand(spec, argv, options) as ParseResult<FlagValues<typeof GLOBAL_FLAGS>>;
}

// ---------------------------------------------------------------------------
// Help

export interface HelpOptions {
  program?: string;
  /** Terminal width; flag descriptions wrap at width - 1 (default 80). */
  width?: number;
}

function flagTypeName(flag: FlagSpec): string {
  if (flag.valueName !== undefined) return flag.valueName;
  return flag.kind === 'bool' ? '' : flag.kind;
}

function defaultNote(flag: FlagSpec): string {
  const d = flag.default;
  if (d === undefined) return '';
  switch (flag.kind) {
    case 'bool':
      return d === true ? ' (default true)' : '';
    case 'string':
      return d === '' ? '' : ` (default ${JSON.stringify(d)})`;
    case 'int':
      return d === 0 ? '' : ` (default ${String(d)})`;
    case 'list':
      return Array.isArray(d) && d.length > 0 ? ` (default [${d.join(' ')}])` : '';
  }
}

/** Splits s at the last space within the first i characters, with pflag's slop rule. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** Wraps text to the columns between indent i and width w, as pflag does. */
function wrapText(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', `\n${' '.repeat(i)}`);
  let room = w - i;
  let r = '';
  if (room < 24) {
    i = 16;
    room = w - i;
    r += `\n${' '.repeat(i)}`;
  }
  if (room < 24) return s.replaceAll('\n', r);
  const slop = 5;
  room -= slop;
  const indent = ' '.repeat(i);
  let [line, tail] = wrapN(room, slop, s);
  r += line.replaceAll('\n', `\n${indent}`);
  while (tail !== '') {
    [line, tail] = wrapN(room, slop, tail);
    r += `\n${indent}${line.replaceAll('\n', `\n${indent}`)}`;
  }
  return r;
}

/** The "Options:" block: pflag's FlagUsagesWrapped, sorted by name. */
export function renderFlagUsages(flags: readonly FlagSpec[], width = 80): string {
  const visible = flags.filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const heads = visible.map((f) => {
    let head = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const type = flagTypeName(f);
    if (type) head += ` ${type}`;
    return head;
  });
  const maxlen = Math.max(0, ...heads.map((h) => h.length));
  return visible
    .map((f, i) => {
      const head = heads[i]!;
      const usage = f.help + defaultNote(f);
      return `${head}${' '.repeat(maxlen - head.length + 3)}${wrapText(maxlen + 3, width - 1, usage)}`.trimEnd();
    })
    .join('\n');
}

/** `docker images --help`: usage line, description, aliases, examples, options. */
export function renderCommandHelp(spec: CommandSpec, options: HelpOptions = {}): string {
  const program = options.program ?? 'docker';
  let out = `\nUsage:  ${useLine(spec, program)}\n\n${spec.description.trim()}\n`;
  if (spec.aliases && spec.aliases.length > 0) {
    const names = [spec.name, ...spec.aliases].map((a) => commandPath(program, a));
    out += `\nAliases:\n  ${names.join(', ')}\n`;
  }
  if (spec.examples) out += `\nExamples:\n${spec.examples.replace(/\n+$/, '')}\n`;
  if (spec.flags.some((f) => !f.hidden)) {
    out += `\nOptions:\n${renderFlagUsages(spec.flags, options.width)}\n`;
  }
  return out;
}

export interface CommandSummary {
  readonly name: string;
  readonly description: string;
}

export interface CommandGroupSpec {
  /** Command path after the program: '' for the root, 'image' for `docker image`. */
  readonly name: string;
  readonly description: string;
  /** Titled lists: "Common Commands", "Management Commands", "Commands". */
  readonly sections: readonly { readonly title: string; readonly commands: readonly CommandSummary[] }[];
  /** The root's global options, shown as "Global Options:". */
  readonly flags?: readonly FlagSpec[];
  /** Trailing text, e.g. "For more help on how to use Docker, head to ...". */
  readonly footer?: string;
}

/** `docker --help`, `docker image --help`: the command lists of a group. */
export function renderGroupHelp(group: CommandGroupSpec, options: HelpOptions = {}): string {
  const program = options.program ?? 'docker';
  const path = commandPath(program, group.name);
  const hasFlags = (group.flags ?? []).some((f) => !f.hidden);
  let out = `\nUsage:  ${path}${hasFlags ? ' [OPTIONS]' : ''} COMMAND\n\n${group.description.trim()}\n`;
  const names = group.sections.flatMap((s) => s.commands.map((c) => c.name));
  const padding = Math.max(11, ...names.map((n) => n.length));
  for (const section of group.sections) {
    if (section.commands.length === 0) continue;
    out += `\n${section.title}:\n`;
    for (const c of section.commands) out += `  ${c.name.padEnd(padding)} ${c.description}\n`;
  }
  if (hasFlags) out += `\nGlobal Options:\n${renderFlagUsages(group.flags ?? [], options.width)}\n`;
  out += `\nRun '${path} COMMAND --help' for more information on a command.\n`;
  if (group.footer) out += `\n${group.footer}\n`;
  return out;
}
