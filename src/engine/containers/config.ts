/**
 * What create decides before anything touches the disk: the container's
 * config merged with its image's (moby's rules), the process to run, names,
 * signals, sizes, and HostConfig validation with dockerd's messages.
 */
import { randomInt } from 'node:crypto';
import { invalidArgument } from '../../common/errors';
import type { ContainerConfigFields } from '../images/types';
import { parseBindSpec } from '../volumes/bind-spec';
import { mergeHealthcheck } from './health';
import type { ContainerConfig, HostConfig } from './types';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ------------------------------------------------------------------- names

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a user-given name and returns it without a leading '/'. */
export function validateName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name.slice(1) : name;
}

const ADJECTIVES = [
  'amber',
  'brave',
  'bright',
  'brisk',
  'calm',
  'candid',
  'cheerful',
  'clever',
  'cosmic',
  'daring',
  'eager',
  'earnest',
  'fearless',
  'fluent',
  'gentle',
  'glad',
  'hardy',
  'humble',
  'jovial',
  'keen',
  'lively',
  'lucid',
  'mellow',
  'merry',
  'nimble',
  'patient',
  'placid',
  'quiet',
  'radiant',
  'rapid',
  'serene',
  'snappy',
  'steady',
  'sunny',
  'swift',
  'tidy',
  'upbeat',
  'vivid',
  'witty',
  'zesty',
];

const SURNAMES = [
  'agnesi',
  'babbage',
  'bohr',
  'boole',
  'cannon',
  'curie',
  'darwin',
  'dirac',
  'euler',
  'faraday',
  'fermi',
  'franklin',
  'galileo',
  'gauss',
  'hopper',
  'hypatia',
  'johnson',
  'kepler',
  'lamarr',
  'leavitt',
  'lovelace',
  'maxwell',
  'meitner',
  'mirzakhani',
  'newton',
  'noether',
  'pascal',
  'pasteur',
  'planck',
  'ramanujan',
  'ride',
  'sagan',
  'shannon',
  'somerville',
  'tesla',
  'turing',
  'volta',
  'wiles',
  'yalow',
  'zuse',
];

/** A Docker-style `adjective_surname`; with `retry` > 0 a digit is appended, as dockerd does after clashes. */
export function generateName(retry = 0, pick: (n: number) => number = randomInt): string {
  const name = `${ADJECTIVES[pick(ADJECTIVES.length)]}_${SURNAMES[pick(SURNAMES.length)]}`;
  return retry > 0 ? `${name}${pick(10)}` : name;
}

// ----------------------------------------------------------------- signals

const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
  RTMIN: 34,
  RTMAX: 64,
};

/** moby's ParseSignal: 'KILL', 'SIGKILL', 'sigkill', '9', 'RTMIN+3'. Throws 400 `Invalid signal: x`. */
export function parseSignal(raw: string): number {
  const bad = () => invalidArgument(`Invalid signal: ${raw}`);
  if (/^-?\d+$/.test(raw)) {
    const n = Number(raw);
    if (n <= 0 || n > 64) throw bad();
    return n;
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^RTMIN\+(\d+)$/.exec(name) ?? /^RTMAX-(\d+)$/.exec(name);
  if (rt !== null) {
    const n = name.startsWith('RTMIN') ? 34 + Number(rt[1]) : 64 - Number(rt[1]);
    if (n >= 34 && n <= 64) return n;
  }
  throw bad();
}

// ------------------------------------------------------------------- sizes

/** go-units RAMInBytes: '10m', '1k', '512', '1.5g', '2GiB' (binary multiples). */
export function parseRamSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(text);
  if (m === null) throw invalidArgument(`invalid size: '${text}'`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

/** json-file options → the shim's rotation settings (0 = unlimited, maxFile >= 1). */
export function logRotation(config: Record<string, string>): { maxSize: number; maxFile: number } {
  const rawSize = config['max-size'];
  const maxSize = rawSize === undefined || rawSize === '' || rawSize === '-1' ? 0 : parseRamSize(rawSize);
  const rawFile = config['max-file'];
  let maxFile = 1;
  if (rawFile !== undefined && rawFile !== '') {
    if (!/^-?\d+$/.test(rawFile)) throw invalidArgument(`invalid value for max-file: ${rawFile}`);
    maxFile = Number(rawFile);
    if (maxFile < 1) throw invalidArgument('max-file cannot be less than 1');
    if (maxFile > 1 && maxSize === 0) throw invalidArgument('max-file can only be used together with max-size');
  }
  return { maxSize, maxFile };
}

const JSON_FILE_OPTS = new Set([
  'max-size',
  'max-file',
  'compress',
  'labels',
  'labels-regex',
  'env',
  'env-regex',
  'tag',
]);

export function validateLogConfig(type: string, config: Record<string, string>): void {
  if (type === 'none') {
    for (const key of Object.keys(config)) throw invalidArgument(`unknown log opt '${key}' for none log driver`);
    return;
  }
  if (type !== 'json-file') throw invalidArgument(`logger: no log driver named '${type}' is registered`);
  for (const key of Object.keys(config)) {
    if (!JSON_FILE_OPTS.has(key)) throw invalidArgument(`unknown log opt '${key}' for json-file log driver`);
  }
  logRotation(config);
}

// ------------------------------------------------------------------- merge

export interface MergedConfig {
  config: ContainerConfig;
  path: string;
  args: string[];
}

/** KEY of a KEY=VALUE entry. */
export function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/**
 * moby's merge of the user's config with the image's: user env first, then
 * image entries the user did not set (PATH defaulted if still missing);
 * labels, exposed ports and volumes unioned (the user's win); a user
 * entrypoint (including a reset, []) drops the image's cmd unless the user
 * gives one; WorkingDir, User, StopSignal default to the image's.
 */
export function mergeConfig(user: ContainerConfig, image: ContainerConfigFields | undefined): MergedConfig {
  const img = image ?? {};
  const userEnv = user.env ?? [];
  const env = [...userEnv];
  const keys = new Set(userEnv.map(envKey));
  for (const e of img.Env ?? []) {
    if (!keys.has(envKey(e))) {
      env.push(e);
      keys.add(envKey(e));
    }
  }
  if (!keys.has('PATH')) env.push(`PATH=${DEFAULT_PATH}`);

  let entrypoint = user.entrypoint;
  if (entrypoint !== null && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  let cmd = user.cmd !== null && user.cmd.length > 0 ? user.cmd : null;
  let argsEscaped = user.argsEscaped;
  if (entrypoint === null) {
    if (cmd === null) {
      cmd = img.Cmd ?? null;
      argsEscaped = img.ArgsEscaped;
    }
    entrypoint = img.Entrypoint ?? null;
  }

  const labels = { ...(img.Labels ?? {}), ...user.labels };
  const exposedPorts = union(user.exposedPorts, Object.keys(img.ExposedPorts ?? {}));
  const volumes = union(user.volumes, Object.keys(img.Volumes ?? {}));

  let workingDir = user.workingDir !== '' ? user.workingDir : (img.WorkingDir ?? '');
  if (workingDir !== '') {
    if (!workingDir.startsWith('/')) {
      throw invalidArgument(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
    }
    workingDir = cleanPath(workingDir);
  }
  const stopSignal =
    user.stopSignal !== undefined && user.stopSignal !== '' ? user.stopSignal : img.StopSignal || undefined;
  if (stopSignal !== undefined) parseSignal(stopSignal);

  const process = [...(entrypoint ?? []), ...(cmd ?? [])];
  const [path, ...args] = process;
  if (path === undefined || path === '') throw invalidArgument('no command specified');

  const config: ContainerConfig = {
    ...user,
    user: user.user !== '' ? user.user : (img.User ?? ''),
    env,
    cmd,
    entrypoint,
    workingDir,
    labels,
    stopSignal,
    exposedPorts,
    volumes,
  };
  if (argsEscaped === undefined) delete config.argsEscaped;
  else config.argsEscaped = argsEscaped;
  const healthcheck = mergeHealthcheck(user.healthcheck, img.Healthcheck);
  if (healthcheck !== undefined) config.healthcheck = healthcheck;
  return { config, path, args };
}

function union(first: string[], second: string[]): string[] {
  const out = [...first];
  for (const s of second) if (!out.includes(s)) out.push(s);
  return out;
}

/** Lexical path cleaning (Go's path.Clean) for absolute paths. */
export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** The init's environment: Docker's defaults (PATH, HOSTNAME, TERM with a tty) overridden by the config's. */
export function processEnv(config: ContainerConfig): string[] {
  const base = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${config.hostname}`];
  if (config.tty) base.push('TERM=xterm');
  const out = new Map<string, string>();
  for (const e of [...base, ...config.env]) out.set(envKey(e), e);
  return [...out.values()];
}

// -------------------------------------------------------------- validation

const MIN_MEMORY = 6 * 1024 * 1024;
const RESTART_POLICIES = new Set(['no', '', 'always', 'unless-stopped', 'on-failure']);

/** dockerd's checks of HostConfig at create, with its words. `ncpu` bounds NanoCpus. */
export function validateHostConfig(hc: HostConfig, config: ContainerConfig, ncpu: number): void {
  const bad = (msg: string) => invalidArgument(msg);
  const rp = hc.restartPolicy;
  if (!RESTART_POLICIES.has(rp.name)) {
    throw bad(
      `invalid restart policy: unknown policy '${rp.name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  if (rp.maximumRetryCount < 0) throw bad('invalid restart policy: maximum retry count cannot be negative');
  if (rp.maximumRetryCount > 0 && rp.name !== 'on-failure') {
    throw bad("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  }
  if (hc.autoRemove && rp.name !== 'no' && (rp.name as string) !== '') {
    throw bad("can't create 'AutoRemove' container with restart policy");
  }

  const r = hc.resources;
  if (r.memory !== 0 && r.memory < MIN_MEMORY) throw bad('Minimum memory limit allowed is 6MB');
  if (r.memorySwap > 0 && r.memory === 0) {
    throw bad('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (r.memory > 0 && r.memorySwap > 0 && r.memorySwap < r.memory) {
    throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.memoryReservation !== 0 && r.memoryReservation < MIN_MEMORY) {
    throw bad('Minimum memory reservation allowed is 6MB');
  }
  if (r.memory > 0 && r.memoryReservation > 0 && r.memory < r.memoryReservation) {
    throw bad('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const sw = r.memorySwappiness;
  if (sw !== undefined && sw !== -1 && (sw < 0 || sw > 100)) {
    throw bad(`Invalid value: ${sw}, valid memory swappiness range is 0-100`);
  }
  if (r.nanoCpus !== 0) {
    if (r.cpuPeriod !== 0) throw bad('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (r.cpuQuota !== 0) throw bad('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    if (r.nanoCpus < 0 || r.nanoCpus > ncpu * 1e9) {
      throw bad(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
    }
  }
  if (r.cpuShares < 0) throw bad(`invalid CPU shares: ${r.cpuShares}`);
  if (r.cpuPeriod !== 0 && (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000)) {
    throw bad('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (r.cpuQuota > 0 && r.cpuQuota < 1000) throw bad('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (r.blkioWeight > 0 && (r.blkioWeight < 10 || r.blkioWeight > 1000)) {
    throw bad('Range of blkio weight is from 10 to 1000');
  }
  if (hc.oomScoreAdj < -1000 || hc.oomScoreAdj > 1000) {
    throw bad(`Invalid value ${hc.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (hc.shmSize < 0) throw bad('SHM size can not be less than 0');

  if (hc.utsMode === 'host' && config.hostname !== '') throw bad('Conflicting options: hostname and the UTS mode');
  if (!['', 'host'].includes(hc.utsMode)) throw bad(`invalid UTS mode: ${hc.utsMode}`);
  if (!['', 'host'].includes(hc.pidMode) && !hc.pidMode.startsWith('container:')) {
    throw bad(`invalid PID mode: ${hc.pidMode}`);
  }
  if (!['', 'private', 'shareable', 'host', 'none'].includes(hc.ipcMode) && !hc.ipcMode.startsWith('container:')) {
    throw bad(`invalid IPC mode: ${hc.ipcMode}`);
  }
  if (!['', 'private', 'host'].includes(hc.cgroupnsMode)) {
    throw bad(`invalid cgroup namespace mode: ${hc.cgroupnsMode}`);
  }
  for (const opt of hc.securityOpt) parseSecurityOpt(opt);
  validateLogConfig(hc.logConfig.type === '' ? 'json-file' : hc.logConfig.type, hc.logConfig.config);
  for (const bind of hc.binds) parseBindSpec(bind);
  for (const h of hc.extraHosts) parseExtraHost(h);
}

export interface SecurityChoices {
  seccomp: { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; json: string };
  noNewPrivileges: boolean;
}

/** One --security-opt value; throws 400 for unknown ones. */
export function parseSecurityOpt(opt: string): Partial<SecurityChoices> {
  if (opt === 'no-new-privileges') return { noNewPrivileges: true };
  const sep = /[=:]/.exec(opt);
  if (sep === null) throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
  const key = opt.slice(0, sep.index);
  const value = opt.slice(sep.index + 1);
  switch (key) {
    case 'no-new-privileges':
      if (value !== 'true' && value !== 'false') throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
      return { noNewPrivileges: value === 'true' };
    case 'seccomp':
      if (value === 'unconfined') return { seccomp: { kind: 'unconfined' } };
      if (value === 'builtin' || value === '') return { seccomp: { kind: 'default' } };
      return { seccomp: { kind: 'profile', json: value } };
    case 'apparmor':
    case 'label':
    case 'systempaths':
    case 'writable-cgroups':
      return {};
    default:
      throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
  }
}

export function securityChoices(hc: HostConfig): SecurityChoices {
  let out: SecurityChoices = { seccomp: { kind: 'default' }, noNewPrivileges: false };
  for (const opt of hc.securityOpt) out = { ...out, ...parseSecurityOpt(opt) };
  if (hc.privileged) out.seccomp = { kind: 'unconfined' };
  return out;
}

export interface BindSpec {
  source: string;
  destination: string;
  readonly: boolean;
  /** Propagation and other options as given ('rprivate', 'z', ...). */
  options: string[];
}

/** `/host:/ctr[:ro|rw,...]`; named volumes are a later issue. */
export function parseBind(bind: string): BindSpec {
  const parts = bind.split(':');
  const [source, destination, mode] = parts;
  if (parts.length < 2 || parts.length > 3 || source === undefined || destination === undefined || source === '') {
    throw invalidArgument(`invalid volume specification: '${bind}'`);
  }
  if (!destination.startsWith('/')) {
    throw invalidArgument(
      `invalid volume specification: '${bind}': invalid mount config for type "bind": invalid mount path: '${destination}' mount path must be absolute`,
    );
  }
  if (!source.startsWith('/')) {
    throw invalidArgument(`named volumes are not supported yet: '${bind}'`);
  }
  const options = (mode ?? '').split(',').filter((o) => o !== '');
  for (const o of options) {
    if (!['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(o)) {
      throw invalidArgument(`invalid mode: ${o}`);
    }
  }
  return {
    source: cleanPath(source),
    destination: cleanPath(destination),
    readonly: options.includes('ro'),
    options: options.filter((o) => o !== 'ro' && o !== 'rw' && o !== 'z' && o !== 'Z' && o !== 'nocopy'),
  };
}

/** `host:ip` or `host=ip` (--add-host). */
export function parseExtraHost(entry: string): { host: string; ip: string } {
  const i = entry.search(/[=:]/);
  if (i <= 0) throw invalidArgument(`invalid extra host: ${entry}`);
  let ip = entry.slice(i + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip === '') throw invalidArgument(`invalid extra host: ${entry}`);
  return { host: entry.slice(0, i), ip };
}
