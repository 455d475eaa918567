/**
 * The docker CLI's health check flags (cli/command/container/opts.go):
 * `--health-cmd` becomes `CMD-SHELL <cmd>`, durations are Go durations
 * (`30s`, `1m30s`), and `--no-healthcheck` (`NONE`) excludes the others.
 */
import { parseGoDuration } from '../../common/go-duration';
import type { HealthConfigWire } from '../../wire';
import { CliExit } from '../command';
import type { FlagSpec } from '../flags';

export const HEALTH_FLAGS = [
  { name: 'health-cmd', kind: 'string', help: 'Command to run to check health' },
  {
    name: 'health-interval',
    kind: 'string',
    valueName: 'duration',
    help: 'Time between running the check (ms|s|m|h) (default 0s)',
  },
  { name: 'health-retries', kind: 'int', help: 'Consecutive failures needed to report unhealthy' },
  {
    name: 'health-start-interval',
    kind: 'string',
    valueName: 'duration',
    help: 'Time between running the check during the start period (ms|s|m|h) (default 0s)',
  },
  {
    name: 'health-start-period',
    kind: 'string',
    valueName: 'duration',
    help: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)',
  },
  {
    name: 'health-timeout',
    kind: 'string',
    valueName: 'duration',
    help: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)',
  },
] as const satisfies readonly FlagSpec[];

function duration(flags: Record<string, unknown>, name: string): number {
  const raw = flags[name];
  if (typeof raw !== 'string' || raw === '') return 0;
  const ns = parseGoDuration(raw);
  if (ns === undefined) {
    throw new CliExit(`invalid argument "${raw}" for "--${name}" flag: time: invalid duration "${raw}"`, 125);
  }
  if (ns < 0) throw new CliExit(`--${name} cannot be negative`, 125);
  return ns;
}

/** The create body's `Healthcheck` from the flags; undefined when none was given. */
export function healthcheckFromFlags(flags: Record<string, unknown>): HealthConfigWire | undefined {
  const cmd = typeof flags['health-cmd'] === 'string' ? (flags['health-cmd'] as string) : '';
  const retries = typeof flags['health-retries'] === 'number' ? (flags['health-retries'] as number) : 0;
  const interval = duration(flags, 'health-interval');
  const timeout = duration(flags, 'health-timeout');
  const startPeriod = duration(flags, 'health-start-period');
  const startInterval = duration(flags, 'health-start-interval');
  const any =
    cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || startInterval !== 0 || retries !== 0;
  if (flags['no-healthcheck'] === true) {
    if (any) throw new CliExit('--no-healthcheck conflicts with --health-* options', 125);
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  if (retries < 0) throw new CliExit('--health-retries cannot be negative', 125);
  return {
    Test: cmd !== '' ? ['CMD-SHELL', cmd] : null,
    Interval: interval,
    Timeout: timeout,
    StartPeriod: startPeriod,
    StartInterval: startInterval,
    Retries: retries,
  };
}
