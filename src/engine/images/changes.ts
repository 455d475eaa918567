/**
 * `docker import --change` / `docker commit --change`: Dockerfile instructions
 * applied to an image's runtime config. Only the instructions that change the
 * config are valid (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
 * STOPSIGNAL, USER, VOLUME, WORKDIR), as in dockerd; anything else is
 * invalid-argument "<INSTR> is not a valid change command".
 *
 * Word splitting, quoting and `$VAR` / `${VAR}` / `${VAR:-x}` / `${VAR:+x}`
 * expansion follow the Dockerfile rules for the instructions that expand
 * variables (ENV, LABEL, EXPOSE, STOPSIGNAL, USER, VOLUME, WORKDIR).
 */
import path from 'node:path';
import { invalidArgument } from '../../common/errors';
import type { ContainerConfigFields } from './types';

const VALID = new Set([
  'cmd',
  'entrypoint',
  'env',
  'expose',
  'healthcheck',
  'label',
  'onbuild',
  'stopsignal',
  'user',
  'volume',
  'workdir',
]);

export interface ChangeInstruction {
  /** The instruction as written ('CMD', 'env', ...). */
  instruction: string;
  /** Everything after the instruction word, trimmed. */
  rest: string;
}

/** Splits change lines into instructions; line continuations and comments as in a Dockerfile. */
export function parseChanges(changes: readonly string[]): ChangeInstruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of changes.join('\n').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (pending === '' && /^\s*(#|$)/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, '');
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  if (pending.trim() !== '') logical.push(pending);
  const out: ChangeInstruction[] = [];
  for (const line of logical) {
    const m = /^\s*(\S+)\s*(.*?)\s*$/s.exec(line);
    if (m === null) continue;
    const instruction = m[1] ?? '';
    if (!VALID.has(instruction.toLowerCase())) {
      throw invalidArgument(`${instruction} is not a valid change command`);
    }
    out.push({ instruction, rest: m[2] ?? '' });
  }
  return out;
}

/**
 * Applies `changes` to a copy of `config` and returns it. Throws
 * invalid-argument on an instruction that is not allowed or malformed.
 */
export function applyChanges(config: ContainerConfigFields, changes: readonly string[]): ContainerConfigFields {
  const instructions = parseChanges(changes);
  const cfg: ContainerConfigFields = structuredClone(config);
  let cmdSet = false;
  for (const { instruction, rest } of instructions) {
    const name = instruction.toUpperCase();
    const env = envMap(cfg.Env);
    switch (name) {
      case 'CMD':
        cfg.Cmd = commandForm(name, rest);
        cmdSet = true;
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = commandForm(name, rest);
        // As dockerd: a new ENTRYPOINT drops a CMD that was not set alongside it.
        if (!cmdSet) cfg.Cmd = null;
        break;
      case 'ENV':
        for (const [k, v] of nameValues(name, rest, env)) {
          env.set(k, v);
          cfg.Env = setEnv(cfg.Env ?? [], k, v);
        }
        break;
      case 'LABEL': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of nameValues(name, rest, env)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'WORKDIR': {
        const dir = expandWord(requireOne(name, rest), env);
        cfg.WorkingDir = path.posix.isAbsolute(dir)
          ? path.posix.normalize(dir)
          : path.posix.join('/', cfg.WorkingDir ?? '', dir);
        break;
      }
      case 'USER':
        cfg.User = expandWord(requireOne(name, rest), env);
        break;
      case 'EXPOSE': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        const words = splitWords(rest).map((w) => expandWord(w, env));
        if (words.length === 0) throw invalidArgument('EXPOSE requires at least one argument');
        for (const w of words) for (const p of portSpecs(w)) ports[p] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(cfg.Volumes ?? {}) };
        const json = jsonArray(rest);
        const list = json ?? splitWords(rest).map((w) => expandWord(w, env));
        if (list.length === 0) throw invalidArgument('VOLUME requires at least one argument');
        for (const v of list) {
          if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        cfg.Volumes = vols;
        break;
      }
      case 'STOPSIGNAL': {
        const sig = expandWord(requireOne(name, rest), env);
        if (!isSignal(sig)) throw invalidArgument(`Invalid signal: ${sig}`);
        cfg.StopSignal = sig;
        break;
      }
      case 'ONBUILD': {
        const trigger = /^(\S+)/.exec(rest)?.[1]?.toUpperCase();
        if (trigger === undefined) throw invalidArgument('ONBUILD requires at least one argument');
        if (trigger === 'ONBUILD') throw invalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger === 'FROM' || trigger === 'MAINTAINER') {
          throw invalidArgument(`${trigger} isn't allowed as an ONBUILD trigger`);
        }
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      }
      case 'HEALTHCHECK':
        cfg.Healthcheck = healthcheck(rest);
        break;
    }
  }
  return cfg;
}

function requireOne(name: string, rest: string): string {
  const words = splitWords(rest);
  if (words.length !== 1) throw invalidArgument(`${name} requires exactly one argument`);
  return words[0] ?? '';
}

/** JSON (exec) form, or shell form wrapped in `/bin/sh -c`. */
function commandForm(name: string, rest: string): string[] {
  const json = jsonArray(rest);
  if (json !== undefined) return json;
  if (rest === '') throw invalidArgument(`${name} requires at least one argument`);
  return ['/bin/sh', '-c', rest];
}

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/** `k=v k2="v 2"` or the legacy `k some value`. */
function nameValues(name: string, rest: string, env: Map<string, string>): Array<[string, string]> {
  const words = splitWords(rest);
  if (words.length === 0) throw invalidArgument(`${name} requires at least one argument`);
  const first = words[0] ?? '';
  if (!first.includes('=')) {
    // Legacy form: the first word is the name, the rest of the line the value.
    if (words.length < 2) throw invalidArgument(`${name} must have two arguments`);
    const value = rest.slice(rest.indexOf(first) + first.length).trim();
    return [[expandWord(first, env), expandWord(value, env)]];
  }
  const out: Array<[string, string]> = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      throw invalidArgument(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    }
    const key = expandWord(w.slice(0, eq), env);
    if (key === '') throw invalidArgument(`${name} names can not be blank`);
    const value = expandWord(w.slice(eq + 1), env);
    out.push([key, value]);
    if (name === 'ENV') env.set(key, value);
  }
  return out;
}

/** Splits on unquoted whitespace; quotes and escapes stay in the words. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote === undefined && /\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\' && quote !== "'" && i + 1 < text.length) {
      cur += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      if (quote === undefined) quote = c;
      else if (quote === c) quote = undefined;
    }
    cur += c;
  }
  if (quote !== undefined) throw invalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

/** Removes quotes and escapes and expands variables in one word. */
export function expandWord(word: string, env: ReadonlyMap<string, string>): string {
  let out = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < word.length; i++) {
    const c = word[i] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
      continue;
    }
    if (c === '\\' && i + 1 < word.length) {
      const next = word[i + 1] ?? '';
      // Inside double quotes only \" \\ \$ are escapes; elsewhere any character.
      if (quote === '"' && !['"', '\\', '$'].includes(next)) out += c;
      out += next;
      i++;
      continue;
    }
    if (c === '"') {
      quote = quote === '"' ? undefined : '"';
      continue;
    }
    if (c === "'" && quote === undefined) {
      quote = "'";
      continue;
    }
    if (c === '$') {
      const [value, consumed] = expandVariable(word, i + 1, env);
      out += value;
      i += consumed;
      continue;
    }
    out += c;
  }
  return out;
}

function expandVariable(word: string, start: number, env: ReadonlyMap<string, string>): [string, number] {
  if (word[start] === '{') {
    const end = word.indexOf('}', start);
    if (end < 0) throw invalidArgument(`missing '}' in ${word}`);
    const inner = word.slice(start + 1, end);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(inner);
    if (m === null) throw invalidArgument(`bad substitution: \${${inner}}`);
    const name = m[1] ?? '';
    const value = env.get(name);
    let result = value ?? '';
    if (m[2] === '-' && (value === undefined || value === '')) result = expandWord(m[3] ?? '', env);
    if (m[2] === '+') result = value !== undefined && value !== '' ? expandWord(m[3] ?? '', env) : '';
    return [result, end - start + 1];
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(start));
  if (m === null) return ['$', 0];
  return [env.get(m[0]) ?? '', m[0].length];
}

function envMap(env: string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) m.set(e, '');
    else m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => e !== key && !e.startsWith(`${key}=`));
  const idx = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  const entry = `${key}=${value}`;
  if (idx < 0) return [...out, entry];
  out.splice(idx, 0, entry);
  return out;
}

/** `80`, `80/udp`, `8000-8002/tcp` → `80/tcp`, ... (ranges expanded, as dockerd). */
export function portSpecs(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(spec);
  if (m === null) throw invalidArgument(`Invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalidArgument(`Invalid proto: ${m[3]}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 0 || hi > 65535 || hi < lo) throw invalidArgument(`Invalid containerPort: ${spec}`);
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

const SIGNALS = new Set(
  (
    'ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT STOP SYS TERM ' +
    'TRAP TSTP TTIN TTOU URG USR1 USR2 VTALRM WINCH XCPU XFSZ'
  ).split(' '),
);

function isSignal(sig: string): boolean {
  if (/^\d+$/.test(sig)) return Number(sig) > 0 && Number(sig) < 65;
  const upper = sig.toUpperCase().replace(/^SIG/, '');
  return SIGNALS.has(upper) || /^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(upper);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration ('30s', '1m30s', '500ms') in nanoseconds. */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let negative = false;
  if (text.startsWith('-')) {
    negative = true;
    pos = 1;
  }
  re.lastIndex = pos;
  let m: RegExpExecArray | null = re.exec(text);
  if (m === null) throw invalidArgument(`time: invalid duration "${text}"`);
  while (m !== null) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 0);
    pos = re.lastIndex;
    m = re.exec(text);
  }
  if (pos !== text.length) throw invalidArgument(`time: invalid duration "${text}"`);
  return Math.round(negative ? -total : total);
}

function healthcheck(rest: string): Record<string, unknown> {
  const words = splitWords(rest);
  const flags: Record<string, number> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i] ?? '';
    const m = /^--(interval|timeout|start-period|start-interval|retries)=(.*)$/.exec(w);
    if (m === null) break;
    const key = m[1] ?? '';
    const value = m[2] ?? '';
    if (key === 'retries') {
      if (!/^\d+$/.test(value)) throw invalidArgument(`invalid retries value: ${value}`);
      flags.Retries = Number(value);
    } else {
      const field = { interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod' }[key] ?? 'StartInterval';
      flags[field] = parseGoDuration(value);
    }
  }
  const kind = (words[i] ?? '').toUpperCase();
  const afterKind = rest.slice(rest.indexOf(words[i] ?? '') + (words[i] ?? '').length).trim();
  if (kind === 'NONE') {
    if (i !== 0 || words.length > 1) throw invalidArgument('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (kind !== 'CMD') throw invalidArgument(`Unknown type "${words[i] ?? ''}" in HEALTHCHECK (try CMD)`);
  const json = jsonArray(afterKind);
  const test = json !== undefined ? ['CMD', ...json] : ['CMD-SHELL', afterKind];
  if (afterKind === '') throw invalidArgument('Missing command after HEALTHCHECK CMD');
  return { Test: test, ...flags };
}
