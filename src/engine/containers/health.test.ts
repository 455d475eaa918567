import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../common/log';
import { defaultContainerConfig, defaultHostConfig } from './defaults';
import {
  applyProbeResult,
  type HealthClock,
  HealthMonitor,
  healthSettings,
  mergeHealthcheck,
  nextIntervalMs,
  type ProbeResult,
} from './health';
import { initialState } from './state';
import type { Container, ContainerHealth } from './types';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const S = 1e9;

describe('health settings', () => {
  it("CMD is argv, CMD-SHELL goes through /bin/sh -c, NONE and no test mean none; moby's defaults", () => {
    assert.deepEqual(healthSettings({ Test: ['CMD', 'curl', '-f', 'x'] })?.argv, ['curl', '-f', 'x']);
    const shell = healthSettings({ Test: ['CMD-SHELL', 'test -f /ok'] });
    assert.deepEqual(shell, {
      argv: ['/bin/sh', '-c', 'test -f /ok'],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      startPeriodMs: 0,
      startIntervalMs: 5_000,
      retries: 3,
    });
    assert.equal(healthSettings({ Test: ['NONE'] }), undefined);
    assert.equal(healthSettings({ Test: [] }), undefined);
    assert.equal(healthSettings(undefined), undefined);
    const custom = healthSettings({
      Test: ['CMD', 'true'],
      Interval: 2 * S,
      Timeout: S,
      StartPeriod: 10 * S,
      Retries: 5,
    });
    assert.equal(custom?.intervalMs, 2000);
    assert.equal(custom?.timeoutMs, 1000);
    assert.equal(custom?.startPeriodMs, 10_000);
    assert.equal(custom?.retries, 5);
  });

  it("merges the container's over the image's field by field", () => {
    const image = { Test: ['CMD', 'img'], Interval: 5 * S, Retries: 2 };
    assert.deepEqual(mergeHealthcheck(undefined, image), image);
    assert.deepEqual(mergeHealthcheck({ Test: null, Interval: S }, image), {
      Test: ['CMD', 'img'],
      Interval: S,
      Retries: 2,
    });
    assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image), { Test: ['NONE'], Interval: 5 * S, Retries: 2 });
    assert.equal(mergeHealthcheck(undefined, undefined), undefined);
  });
});

describe('health state machine', () => {
  const settings = { retries: 3, startPeriodMs: 0 };
  const start: ContainerHealth = { status: 'starting', failingStreak: 0, log: [] };
  const probe = (exitCode: number, at = 1000): ProbeResult => ({
    startMs: at,
    endMs: at + 5,
    exitCode,
    output: `x${exitCode}`,
  });

  it('healthy on success; unhealthy after `retries` failures in a row; a success resets the streak', () => {
    let h = applyProbeResult(start, probe(1), settings, 0);
    assert.deepEqual([h.status, h.failingStreak], ['starting', 1]);
    h = applyProbeResult(h, probe(1), settings, 0);
    h = applyProbeResult(h, probe(1), settings, 0);
    assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 3]);
    h = applyProbeResult(h, probe(0), settings, 0);
    assert.deepEqual([h.status, h.failingStreak], ['healthy', 0]);
    h = applyProbeResult(h, probe(2), settings, 0);
    assert.deepEqual([h.status, h.failingStreak], ['healthy', 1]);
  });

  it('failures within the start period do not count while starting', () => {
    const sp = { retries: 1, startPeriodMs: 10_000 };
    let h = applyProbeResult(start, probe(1, 5_000), sp, 0);
    assert.deepEqual([h.status, h.failingStreak], ['starting', 0]);
    h = applyProbeResult(h, probe(1, 11_000), sp, 0);
    assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 1]);
  });

  it('keeps the last 5 results, with times and output', () => {
    let h = start;
    for (let i = 0; i < 7; i++) h = applyProbeResult(h, probe(i % 2, 1000 * i), settings, 0);
    assert.equal(h.log.length, 5);
    assert.equal(h.log[4]!.exitCode, 0);
    assert.equal(h.log[4]!.output, 'x0');
    assert.equal(h.log[4]!.start, '1970-01-01T00:00:06Z');
    assert.equal(h.log[4]!.end, '1970-01-01T00:00:06.005Z');
  });

  it('probes at start-interval while starting within the start period', () => {
    const s = healthSettings({ Test: ['CMD', 'x'], Interval: 30 * S, StartPeriod: 60 * S, StartInterval: 2 * S })!;
    assert.equal(nextIntervalMs(s, 'starting', 1000), 2000);
    assert.equal(nextIntervalMs(s, 'healthy', 1000), 30_000);
    assert.equal(nextIntervalMs(s, 'starting', 61_000), 30_000);
  });
});

/** A clock whose time moves only when told; timers fire in order. */
class FakeClock implements HealthClock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  pending(): number {
    return this.timers.length;
  }
  /** Advances to the next timer and runs it; lets the promises it starts settle. */
  async tick(): Promise<void> {
    this.timers.sort((a, b) => a.at - b.at);
    const t = this.timers.shift();
    if (t === undefined) throw new Error('no timer');
    this.t = t.at;
    t.fn();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
  }
}

function container(clock: FakeClock, healthcheck: unknown): Container {
  return {
    id: 'h'.repeat(64),
    name: 'h',
    created: '',
    path: 'sleep',
    args: [],
    config: defaultContainerConfig({ healthcheck }),
    hostConfig: defaultHostConfig(),
    imageId: 'sha256:1' as Container['imageId'],
    state: {
      ...initialState(),
      status: 'running',
      running: true,
      pid: 1,
      startedAt: new Date(clock.now()).toISOString(),
    },
    restartCount: 0,
    logPath: '',
    hostnamePath: '',
    hostsPath: '',
    resolvConfPath: '',
    bundleDir: '',
    graphDriver: { name: '', data: {} },
    warnings: [],
  };
}

describe('HealthMonitor (fake clock)', () => {
  it('probes on schedule, records health, reports changes as health_status events, stops with the container', async () => {
    const clock = new FakeClock();
    const c = container(clock, { Test: ['CMD-SHELL', 'check'], Interval: S, Retries: 2 });
    const recorded: ContainerHealth[] = [];
    const events: string[] = [];
    const exits = [1, 1, 0, 0];
    const argvs: string[][] = [];
    const monitor = new HealthMonitor({
      containers: {
        get: async () => c,
        setHealth: async (_id, h) => {
          recorded.push(structuredClone(h));
        },
      },
      prober: async (_c, argv, timeoutMs) => {
        argvs.push(argv);
        assert.equal(timeoutMs, 30_000);
        const t = clock.now();
        return { startMs: t, endMs: t + 1, exitCode: exits.shift() ?? 0, output: '' };
      },
      logger: quiet,
      clock,
      onEvent: (e) => events.push(e.action),
    });
    await monitor.containerStarted(c);
    assert.equal(recorded.at(-1)?.status, 'starting');
    await clock.tick();
    assert.deepEqual(argvs[0], ['/bin/sh', '-c', 'check']);
    assert.equal(recorded.at(-1)?.status, 'starting');
    await clock.tick();
    assert.equal(recorded.at(-1)?.status, 'unhealthy');
    await clock.tick();
    assert.equal(recorded.at(-1)?.status, 'healthy');
    await clock.tick();
    assert.deepEqual(events, ['health_status: unhealthy', 'health_status: healthy']);
    assert.equal(clock.now(), 1_000_000 + 4000);
    await monitor.containerStopped(c.id);
    assert.equal(monitor.watching(c.id), false);
    assert.equal(clock.pending(), 0);
    // moby marks a container whose checks stopped unhealthy, without an event.
    assert.equal(recorded.at(-1)?.status, 'unhealthy');
    assert.equal(events.length, 2);
  });

  it('a probe that throws counts as a failure with exit -1 and its message as output', async () => {
    const clock = new FakeClock();
    const c = container(clock, { Test: ['CMD', 'x'], Interval: S, Retries: 1 });
    let last: ContainerHealth | undefined;
    const monitor = new HealthMonitor({
      containers: {
        get: async () => c,
        setHealth: async (_id, h) => {
          last = h;
        },
      },
      prober: async () => {
        throw new Error('OCI runtime exec failed: boom');
      },
      logger: quiet,
      clock,
    });
    await monitor.containerStarted(c);
    await clock.tick();
    assert.equal(last?.status, 'unhealthy');
    assert.equal(last?.log[0]?.exitCode, -1);
    assert.equal(last?.log[0]?.output, 'OCI runtime exec failed: boom');
    monitor.close();
  });

  it('does nothing for a container without a health check', async () => {
    const clock = new FakeClock();
    const c = container(clock, { Test: ['NONE'] });
    const monitor = new HealthMonitor({
      containers: { get: async () => c, setHealth: async () => assert.fail('no health') },
      prober: async () => assert.fail('no probe'),
      logger: quiet,
      clock,
    });
    await monitor.containerStarted(c);
    assert.equal(clock.pending(), 0);
  });
});
