/**
 * Health checks (moby daemon/health.go): a container whose config has a
 * HEALTHCHECK (its own or the image's, merged field by field) is probed while
 * it runs - `CMD` as argv, `CMD-SHELL` through `/bin/sh -c` - by an exec as
 * the container's user in its working directory. Its State.Health goes
 * `starting` → `healthy` (exit 0) / `unhealthy` (`retries` failures in a
 * row; failures within the start period do not count while still
 * `starting`), keeps the last 5 results, and each change of status is a
 * `health_status: <status>` event. Probes run every `interval`
 * (`start-interval` while starting within the start period); one that takes
 * longer than `timeout` is killed and counts as a failure (exit -1).
 *
 * The state machine (`applyProbeResult`) and the schedule are pure or take
 * a clock, so they are tested without containers.
 */

import { errorMessage } from '../../common/errors';
import { formatGoDuration } from '../../common/go-duration';
import type { Logger } from '../../common/log';
import { containerEventAttributes } from '../events';
import type { ExecService } from './exec';
import { rfc3339Nano } from './state';
import type { Container, ContainerHealth, HealthLogEntry } from './types';

/** moby's defaults (api/types/container: DefaultHealth*). */
export const DEFAULT_INTERVAL_NS = 30e9;
export const DEFAULT_TIMEOUT_NS = 30e9;
export const DEFAULT_START_PERIOD_NS = 0;
export const DEFAULT_START_INTERVAL_NS = 5e9;
export const DEFAULT_RETRIES = 3;
/** Results kept in State.Health.Log. */
export const MAX_LOG_ENTRIES = 5;
/** Bytes of a probe's output kept. */
export const MAX_OUTPUT = 4096;

/** The effective health check of a container (durations in ms). */
export interface HealthSettings {
  /** The probe's argv. */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/** Docker's `Healthcheck` object (PascalCase, nanoseconds), as stored in the container's config. */
interface HealthcheckWire {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

function wire(raw: unknown): HealthcheckWire | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  return raw as HealthcheckWire;
}

/**
 * The container's Healthcheck over the image's, field by field (moby
 * daemon/commit.go merge): an empty Test, or a zero duration, takes the image's.
 */
export function mergeHealthcheck(user: unknown, image: unknown): unknown {
  const u = wire(user);
  const i = wire(image);
  if (u === undefined) return i;
  if (i === undefined) return u;
  const out: HealthcheckWire = { ...u };
  if (u.Test === undefined || u.Test === null || u.Test.length === 0) out.Test = i.Test ?? null;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if ((u[k] ?? 0) === 0 && i[k] !== undefined) out[k] = i[k];
  }
  return out;
}

/** The settings of a stored Healthcheck; undefined when there is none, or it is `NONE`. */
export function healthSettings(raw: unknown): HealthSettings | undefined {
  const h = wire(raw);
  const test = h?.Test;
  if (h === undefined || !Array.isArray(test) || test.length === 0) return undefined;
  let argv: string[];
  switch (test[0]) {
    case 'NONE':
      return undefined;
    case 'CMD':
      argv = test.slice(1);
      break;
    case 'CMD-SHELL':
      argv = ['/bin/sh', '-c', test.slice(1).join(' ')];
      break;
    default:
      // moby: an unknown kind is not probed.
      return undefined;
  }
  if (argv.length === 0) return undefined;
  const ms = (ns: number | undefined, fallback: number) => (ns !== undefined && ns > 0 ? ns : fallback) / 1e6;
  return {
    argv,
    intervalMs: ms(h.Interval, DEFAULT_INTERVAL_NS),
    timeoutMs: ms(h.Timeout, DEFAULT_TIMEOUT_NS),
    startPeriodMs: ms(h.StartPeriod, DEFAULT_START_PERIOD_NS),
    startIntervalMs: ms(h.StartInterval, DEFAULT_START_INTERVAL_NS),
    retries: h.Retries !== undefined && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES,
  };
}

/** The health at a (re)start: `starting`, no failures, the log kept. */
export function startingHealth(previous: ContainerHealth | undefined): ContainerHealth {
  return { status: 'starting', failingStreak: 0, log: previous?.log ? [...previous.log] : [] };
}

/** One probe's result with its times in ms. */
export interface ProbeResult {
  startMs: number;
  endMs: number;
  exitCode: number;
  output: string;
}

/** moby's handleProbeResult: the new health after one probe. */
export function applyProbeResult(
  health: ContainerHealth,
  result: ProbeResult,
  settings: Pick<HealthSettings, 'retries' | 'startPeriodMs'>,
  startedAtMs: number,
): ContainerHealth {
  const entry: HealthLogEntry = {
    start: rfc3339Nano(new Date(result.startMs)),
    end: rfc3339Nano(new Date(result.endMs)),
    exitCode: result.exitCode,
    output: result.output,
  };
  const log = [...health.log, entry].slice(-MAX_LOG_ENTRIES);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  const inStartPeriod = health.status === 'starting' && result.startMs - startedAtMs < settings.startPeriodMs;
  if (inStartPeriod) return { ...health, log };
  const failingStreak = health.failingStreak + 1;
  return { status: failingStreak >= settings.retries ? 'unhealthy' : health.status, failingStreak, log };
}

/** moby's getInterval: start-interval while starting within the start period, else the interval. */
export function nextIntervalMs(
  settings: HealthSettings,
  status: ContainerHealth['status'],
  sinceStartMs: number,
): number {
  if (sinceStartMs >= settings.startPeriodMs) return settings.intervalMs;
  return status === 'starting' ? settings.startIntervalMs : settings.intervalMs;
}

/** Timers and time, replaceable in tests. */
export interface HealthClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: HealthClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Runs one probe: argv in the container, killed after timeoutMs. */
export type Prober = (c: Container, argv: string[], timeoutMs: number) => Promise<ProbeResult>;

export interface HealthMonitorOptions {
  /** Reads a container, and records its health (persisted with its state). */
  containers: {
    get(ref: string): Promise<Container>;
    setHealth(id: string, health: ContainerHealth): Promise<void>;
  };
  /** Runs the probes (or `prober`). */
  execs?: ExecService;
  prober?: Prober;
  logger: Logger;
  clock?: HealthClock;
  /** `health_status: healthy|unhealthy|starting` (container events). */
  onEvent?: (event: { action: string; id: string; attributes: Record<string, string> }) => void;
}

interface Monitor {
  settings: HealthSettings;
  timer: unknown;
  /** Set when stopped: a probe in flight is dropped. */
  stopped: boolean;
  probing: AbortController | undefined;
  health: ContainerHealth;
  startedAtMs: number;
}

/** Probes running containers that have a health check. */
export class HealthMonitor {
  private readonly monitors = new Map<string, Monitor>();
  private readonly clock: HealthClock;
  private readonly prober: Prober;

  constructor(private readonly options: HealthMonitorOptions) {
    this.clock = options.clock ?? realClock;
    const execs = options.execs;
    this.prober =
      options.prober ??
      ((c, argv, timeoutMs) => {
        if (execs === undefined) throw new Error('HealthMonitor needs execs or a prober');
        return execProbe(execs, this.clock, c, argv, timeoutMs);
      });
  }

  /** Starts probing a container that has just started (status back to `starting`). */
  containerStarted(c: Container): Promise<void> {
    return this.begin(c, true);
  }

  /** Probes again after an unpause, from the health it has (moby's updateHealthMonitor). */
  containerResumed(c: Container): Promise<void> {
    return this.begin(c, false);
  }

  /**
   * Stops probing a container that stopped or was paused: its status becomes
   * `unhealthy` (moby's CloseMonitorChannel does so "for compatibility").
   */
  async containerStopped(id: string): Promise<void> {
    const m = this.monitors.get(id);
    if (m === undefined) return;
    this.stop(id);
    m.health = { ...m.health, status: 'unhealthy' };
    await this.options.containers
      .setHealth(id, m.health)
      .catch((err) => this.options.logger.warn('cannot record health', { id, error: errorMessage(err) }));
  }

  private async begin(c: Container, reset: boolean): Promise<void> {
    this.stop(c.id);
    const settings = healthSettings(c.config.healthcheck);
    if (settings === undefined || c.state.status !== 'running') return;
    const health = reset || c.state.health === undefined ? startingHealth(c.state.health) : c.state.health;
    const m: Monitor = {
      settings,
      timer: undefined,
      stopped: false,
      probing: undefined,
      health,
      startedAtMs: Date.parse(c.state.startedAt) || this.clock.now(),
    };
    this.monitors.set(c.id, m);
    await this.options.containers
      .setHealth(c.id, health)
      .catch((err) => this.options.logger.warn('cannot record health', { id: c.id, error: errorMessage(err) }));
    this.schedule(c.id, m);
  }

  /** Stops probing (e.g. the container was removed); a probe in flight is killed. */
  stop(id: string): void {
    const m = this.monitors.get(id);
    if (m === undefined) return;
    this.monitors.delete(id);
    m.stopped = true;
    if (m.timer !== undefined) this.clock.clearTimeout(m.timer);
    m.probing?.abort();
  }

  /** True while a container is being probed (tests). */
  watching(id: string): boolean {
    return this.monitors.has(id);
  }

  close(): void {
    for (const id of [...this.monitors.keys()]) this.stop(id);
  }

  private schedule(id: string, m: Monitor): void {
    if (m.stopped) return;
    const delay = nextIntervalMs(m.settings, m.health.status, this.clock.now() - m.startedAtMs);
    m.timer = this.clock.setTimeout(() => {
      m.timer = undefined;
      void this.probeOnce(id, m);
    }, delay);
  }

  private async probeOnce(id: string, m: Monitor): Promise<void> {
    if (m.stopped) return;
    let c: Container;
    try {
      c = await this.options.containers.get(id);
    } catch {
      this.stop(id);
      return;
    }
    const startMs = this.clock.now();
    let result: ProbeResult;
    try {
      result = await this.prober(c, m.settings.argv, m.settings.timeoutMs);
    } catch (err) {
      const now = this.clock.now();
      result = { startMs, endMs: now, exitCode: -1, output: errorMessage(err) };
    }
    if (m.stopped) return;
    const before = m.health.status;
    m.health = applyProbeResult(m.health, result, m.settings, m.startedAtMs);
    await this.options.containers
      .setHealth(id, m.health)
      .catch((err) => this.options.logger.warn('cannot record health', { id, error: errorMessage(err) }));
    if (m.health.status !== before) this.emit(c, `health_status: ${m.health.status}`);
    this.schedule(id, m);
  }

  private emit(c: Container, action: string): void {
    try {
      this.options.onEvent?.({
        action,
        id: c.id,
        attributes: containerEventAttributes(c),
      });
    } catch (err) {
      this.options.logger.warn('event listener failed', { error: errorMessage(err) });
    }
  }
}

/** A probe as an exec (moby cmdProbe): output capped at 4 KiB, killed at the timeout. */
async function execProbe(
  execs: ExecService,
  clock: HealthClock,
  c: Container,
  argv: string[],
  timeoutMs: number,
): Promise<ProbeResult> {
  const startMs = clock.now();
  const id = await execs.create(c.id, {
    cmd: argv,
    env: [],
    workingDir: '',
    user: '',
    privileged: false,
    tty: false,
    attachStdin: false,
    attachStdout: true,
    attachStderr: true,
    detachKeys: '',
  });
  const abort = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const output = await execs.start(id, { detach: false, signal: abort.signal, killOnAbort: true });
    for await (const chunk of output) {
      if (size >= MAX_OUTPUT) continue;
      const part = chunk.data.subarray(0, MAX_OUTPUT - size);
      chunks.push(part);
      size += part.length;
    }
    const out = Buffer.concat(chunks).toString('utf8');
    if (timedOut) {
      const limit = formatGoDuration(timeoutMs * 1e6);
      return {
        startMs,
        endMs: clock.now(),
        exitCode: -1,
        output:
          out.length > 0
            ? `Health check exceeded timeout (${limit}): ${out}`
            : `Health check exceeded timeout (${limit})`,
      };
    }
    const info = await execs.inspect(id);
    return { startMs, endMs: clock.now(), exitCode: info.exitCode ?? -1, output: out };
  } finally {
    clock.clearTimeout(timer);
    execs.forget(id);
  }
}

/**
 * Keeps execs and health checks in step with the containers (wired by the
 * daemon to the container service's events): checks start with the
 * container, stop when it dies or is paused, resume on unpause; a removed
 * container's execs are forgotten.
 */
export function followLifecycle(
  event: { action: string; id: string },
  containers: { get(ref: string): Promise<Container> },
  execs: ExecService,
  health: HealthMonitor,
): void {
  const later = (fn: (c: Container) => Promise<void>) => {
    void containers.get(event.id).then(fn, () => undefined);
  };
  switch (event.action) {
    case 'start':
      later((c) => health.containerStarted(c));
      break;
    case 'unpause':
      later((c) => health.containerResumed(c));
      break;
    case 'die':
    case 'pause':
      void health.containerStopped(event.id);
      break;
    case 'destroy':
      health.stop(event.id);
      execs.containerRemoved(event.id);
      break;
    default:
  }
}
