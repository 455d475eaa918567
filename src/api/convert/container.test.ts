import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanDuration } from '../../common/human-duration';
import type { ContainerState } from '../../engine/containers/types';
import {
  commandString,
  normalizeCapabilities,
  normalizeNetworking,
  normalizePortKey,
  parseContainerName,
  parseLogTime,
  parseTail,
  statusText,
  toCreateOptions,
  toWaitResponse,
} from './container';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

function state(partial: Partial<ContainerState>): ContainerState {
  return {
    status: 'created',
    running: false,
    paused: false,
    restarting: false,
    oomKilled: false,
    dead: false,
    pid: 0,
    exitCode: 0,
    error: '',
    startedAt: '0001-01-01T00:00:00Z',
    finishedAt: '0001-01-01T00:00:00Z',
    ...partial,
  };
}

describe('container conversion', () => {
  it('speaks go-units HumanDuration', () => {
    assert.equal(humanDuration(0), 'Less than a second');
    assert.equal(humanDuration(999), 'Less than a second');
    assert.equal(humanDuration(S), '1 second');
    assert.equal(humanDuration(59 * S), '59 seconds');
    assert.equal(humanDuration(M), 'About a minute');
    assert.equal(humanDuration(119 * S), 'About a minute');
    assert.equal(humanDuration(2 * M), '2 minutes');
    assert.equal(humanDuration(59 * M), '59 minutes');
    assert.equal(humanDuration(60 * M), 'About an hour');
    assert.equal(humanDuration(89 * M), 'About an hour');
    assert.equal(humanDuration(90 * M), '2 hours');
    assert.equal(humanDuration(47 * H), '47 hours');
    assert.equal(humanDuration(48 * H), '2 days');
    assert.equal(humanDuration(14 * 24 * H), '2 weeks');
    assert.equal(humanDuration(60 * 24 * H), '2 months');
    assert.equal(humanDuration(2 * 365 * 24 * H), '2 years');
  });

  it('writes the Status column as moby does', () => {
    const now = Date.parse('2024-01-01T00:10:00Z');
    assert.equal(statusText(state({}), now), 'Created');
    assert.equal(
      statusText(state({ status: 'running', running: true, startedAt: '2024-01-01T00:09:55.123456789Z' }), now),
      'Up 4 seconds',
    );
    assert.equal(
      statusText(state({ status: 'paused', running: true, paused: true, startedAt: '2024-01-01T00:08:00Z' }), now),
      'Up 2 minutes (Paused)',
    );
    assert.equal(
      statusText(
        state({ status: 'exited', exitCode: 3, startedAt: '2024-01-01T00:00:00Z', finishedAt: '2024-01-01T00:09:57Z' }),
        now,
      ),
      'Exited (3) 3 seconds ago',
    );
    assert.equal(
      statusText(
        state({
          status: 'restarting',
          restarting: true,
          running: true,
          exitCode: 1,
          startedAt: '2024-01-01T00:00:00Z',
          finishedAt: '2024-01-01T00:09:58Z',
        }),
        now,
      ),
      'Restarting (1) 2 seconds ago',
    );
    assert.equal(statusText(state({ status: 'removing' }), now), 'Removal In Progress');
    assert.equal(statusText(state({ status: 'dead', dead: true }), now), 'Dead');
    // Never started, then exited (start failure): still "Created".
    assert.equal(statusText(state({ status: 'exited', exitCode: 127 }), now), 'Created');
  });

  it('joins the command with quotes around arguments with spaces', () => {
    assert.equal(commandString('sh', []), 'sh');
    assert.equal(commandString('sh', ['-c', 'echo hi']), "sh -c 'echo hi'");
  });

  it('normalizes ports, capabilities and networks', () => {
    assert.equal(normalizePortKey('80'), '80/tcp');
    assert.equal(normalizePortKey('53/UDP'), '53/udp');
    assert.equal(normalizePortKey('8000-8010/tcp'), '8000-8010/tcp');
    assert.throws(() => normalizePortKey('http'), /invalid port/);
    assert.deepEqual(normalizeCapabilities(['sys_admin', ' CAP_SYS_ADMIN', 'all', '']), ['CAP_SYS_ADMIN', 'ALL']);
    assert.deepEqual(normalizeNetworking('default', { EndpointsConfig: { default: { Aliases: ['a'] } } }), {
      mode: 'bridge',
      config: { EndpointsConfig: { bridge: { Aliases: ['a'] } } },
    });
    assert.deepEqual(normalizeNetworking('', undefined), { mode: 'bridge', config: undefined });
    assert.equal(normalizeNetworking('host', null).mode, 'host');
  });

  it('converts the create body', () => {
    const o = toCreateOptions(
      {
        Image: 'alpine',
        Entrypoint: [''],
        Cmd: [],
        Env: ['A=1'],
        StopTimeout: 3,
        StopSignal: 'SIGINT',
        Volumes: { '/data': {} },
        HostConfig: {
          PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': null },
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
          Memory: 64 * 1024 * 1024,
          MemorySwappiness: 10,
          Tmpfs: { '/run': 'size=1m' },
          Init: true,
        },
      },
      { name: 'web', platform: 'linux/amd64' },
    );
    assert.deepEqual(o.config.entrypoint, []);
    assert.equal(o.config.cmd, null);
    assert.deepEqual(o.config.env, ['A=1']);
    assert.equal(o.config.stopTimeout, 3);
    assert.equal(o.config.stopSignal, 'SIGINT');
    assert.deepEqual(o.config.volumes, ['/data']);
    assert.deepEqual(o.hostConfig.portBindings, { '80/tcp': [{ hostIp: '', hostPort: '8080' }], '53/udp': [] });
    assert.deepEqual(o.hostConfig.restartPolicy, { name: 'on-failure', maximumRetryCount: 2 });
    assert.equal(o.hostConfig.resources.memorySwappiness, 10);
    assert.deepEqual(o.hostConfig.tmpfs, { '/run': 'size=1m' });
    assert.equal(o.hostConfig.init, true);
    assert.equal(o.platform, 'linux/amd64');
    assert.equal(o.networkingConfig, undefined);
    assert.throws(
      () => toCreateOptions({ Image: 'a', HostConfig: { Memory: 1024 } }, { name: undefined, platform: undefined }),
      /Minimum memory limit/,
    );
    assert.throws(
      () =>
        toCreateOptions(
          { Image: 'a', HostConfig: { NanoCpus: 1e9, CpuQuota: 1000 } },
          { name: undefined, platform: undefined },
        ),
      /Nano CPUs and CPU Quota/,
    );
    assert.throws(
      () =>
        toCreateOptions(
          { Image: 'a', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 1 } } },
          { name: undefined, platform: undefined },
        ),
      /only be used with 'on-failure'/,
    );
  });

  it('validates container names', () => {
    assert.equal(parseContainerName(undefined), undefined);
    assert.equal(parseContainerName(''), undefined);
    assert.equal(parseContainerName('/web'), 'web');
    assert.equal(parseContainerName('a.b_c-1'), 'a.b_c-1');
    assert.throws(() => parseContainerName('x'), /Invalid container name \(x\)/);
    assert.throws(() => parseContainerName('-x'), /Invalid container name/);
  });

  it('parses since/until and tail', () => {
    assert.equal(parseLogTime(undefined, 'since'), 0);
    assert.equal(parseLogTime('', 'since'), 0);
    assert.equal(parseLogTime('1704164645', 'since'), 1704164645);
    assert.equal(parseLogTime('1704164645.500000000', 'since'), 1704164645.5);
    assert.equal(parseLogTime('2024-01-02T03:04:05Z', 'since'), 1704164645);
    assert.throws(() => parseLogTime('10m', 'since'), /invalid value for since/);
    assert.equal(parseTail(undefined), -1);
    assert.equal(parseTail('all'), -1);
    assert.equal(parseTail('10'), 10);
    assert.equal(parseTail('0'), 0);
    assert.equal(parseTail('-3'), -1);
  });

  it('omits an empty wait error', () => {
    assert.deepEqual(toWaitResponse({ statusCode: 0 }), { StatusCode: 0 });
    assert.deepEqual(toWaitResponse({ statusCode: 0, error: '' }), { StatusCode: 0 });
    assert.deepEqual(toWaitResponse({ statusCode: 127, error: 'x' }), { StatusCode: 127, Error: { Message: 'x' } });
  });
});
