/**
 * berthd's flags, after dockerd's. A tiny parser of its own: the daemon must
 * not import the CLI's.
 */
import path from 'node:path';
import { type LogLevel, parseLogLevel } from '../common/log';

export interface DaemonConfig {
  /** Persistent state: images, content, snapshots. */
  dataRoot: string;
  /** Runtime state: socket, pidfile. */
  execRoot: string;
  /** Listen addresses, `unix:///path` or `tcp://host:port`. */
  hosts: string[];
  logLevel: LogLevel;
  pidfile: string;
  /** --bip: the default bridge's address and prefix, e.g. 10.9.0.1/24. */
  bip?: string;
  /** --default-address-pool base=...,size=... (repeatable; replaces the defaults). */
  defaultAddressPools?: string[];
}

export type ParsedArgs = { kind: 'run'; config: DaemonConfig } | { kind: 'help' } | { kind: 'version' };

export const DEFAULT_DATA_ROOT = '/var/lib/berth';
export const DEFAULT_EXEC_ROOT = '/run/berth';
export const DEFAULT_DAEMON_HOST = 'unix:///run/berth/berth.sock';

export const USAGE = `Usage:	berthd [OPTIONS]

A container engine that speaks Docker's Engine API.

Options:
      --data-root string    Root directory of persistent state (default "${DEFAULT_DATA_ROOT}", env BERTH_DATA_ROOT)
  -D, --debug               Enable debug mode (same as --log-level debug)
      --exec-root string    Root directory for execution state files (default "${DEFAULT_EXEC_ROOT}", env BERTH_EXEC_ROOT)
      --bip string          Specify network bridge IP
      --default-address-pool  Default address pools for node specific local networks (base=CIDR,size=N)
  -h, --help                Print usage
  -H, --host list           Daemon socket(s) to connect to (default "${DEFAULT_DAEMON_HOST}", env BERTH_HOST)
  -l, --log-level string    Set the logging level ("debug"|"info"|"warn"|"error") (default "info")
  -p, --pidfile string      Path to use for daemon PID file (default "<exec-root>/berthd.pid")
  -v, --version             Print version information and quit
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const VALUE_FLAGS: Record<string, keyof Omit<DaemonConfig, 'hosts' | 'defaultAddressPools'> | 'host' | 'pool'> = {
  '--bip': 'bip',
  '--default-address-pool': 'pool',
  '--data-root': 'dataRoot',
  '--exec-root': 'execRoot',
  '-H': 'host',
  '--host': 'host',
  '-l': 'logLevel',
  '--log-level': 'logLevel',
  '-p': 'pidfile',
  '--pidfile': 'pidfile',
};

export function parseDaemonArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const values: Partial<Record<'dataRoot' | 'execRoot' | 'logLevel' | 'pidfile' | 'bip', string>> = {};
  const hosts: string[] = [];
  const pools: string[] = [];
  let debug = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-v' || arg === '--version') return { kind: 'version' };
    if (arg === '-D' || arg === '--debug') {
      debug = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : arg.startsWith('-H=') ? 2 : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const target = VALUE_FLAGS[name];
    if (target === undefined) {
      if (arg.startsWith('-')) throw new UsageError(`unknown flag: ${name}`);
      throw new UsageError(`berthd takes no arguments, got "${arg}"`);
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new UsageError(`flag needs an argument: ${name}`);
    if (target === 'host') hosts.push(value);
    else if (target === 'pool') pools.push(value);
    else values[target] = value;
  }
  const pick = (v: string | undefined) => (v !== undefined && v !== '' ? v : undefined);
  const dataRoot = path.resolve(values.dataRoot ?? pick(env.BERTH_DATA_ROOT) ?? DEFAULT_DATA_ROOT);
  const execRoot = path.resolve(values.execRoot ?? pick(env.BERTH_EXEC_ROOT) ?? DEFAULT_EXEC_ROOT);
  if (hosts.length === 0) {
    const fromEnv = pick(env.BERTH_HOST);
    hosts.push(fromEnv ?? DEFAULT_DAEMON_HOST);
  }
  let logLevel: LogLevel;
  try {
    logLevel = debug ? 'debug' : parseLogLevel(values.logLevel ?? 'info');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const pidfile = path.resolve(values.pidfile ?? path.join(execRoot, 'berthd.pid'));
  const config: DaemonConfig = { dataRoot, execRoot, hosts, logLevel, pidfile };
  if (values.bip !== undefined) config.bip = values.bip;
  if (pools.length > 0) config.defaultAddressPools = pools;
  return { kind: 'run', config };
}
