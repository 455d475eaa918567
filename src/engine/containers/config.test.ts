import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import {
  DEFAULT_PATH,
  generateName,
  logRotation,
  mergeConfig,
  parseBind,
  parseRamSize,
  parseSecurityOpt,
  parseSignal,
  processEnv,
  validateHostConfig,
  validateName,
} from './config';
import { defaultHostConfig, defaultContainerConfig as userConfig } from './defaults';
import type { HostConfig } from './types';

const hostConfig = (over: Partial<HostConfig> = {}, resources: Partial<HostConfig['resources']> = {}) =>
  defaultHostConfig({ networkMode: 'none', ...over }, resources);

function rejects(fn: () => unknown, message: string | RegExp, kind = 'invalid-argument'): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err), `not an EngineError: ${String(err)}`);
    assert.equal(err.kind, kind);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('mergeConfig', () => {
  const image = {
    Env: ['PATH=/img/bin', 'A=image', 'B=image'],
    Cmd: ['sh'],
    Entrypoint: null,
    WorkingDir: '/srv',
    User: 'nobody',
    StopSignal: 'SIGQUIT',
    Labels: { a: 'image', b: 'image' },
    ExposedPorts: { '80/tcp': {} },
    Volumes: { '/data': {} },
  };

  it("takes the image's cmd when the user gives none", () => {
    const m = mergeConfig(userConfig(), image);
    assert.equal(m.path, 'sh');
    assert.deepEqual(m.args, []);
    assert.deepEqual(m.config.cmd, ['sh']);
    assert.equal(m.config.entrypoint, null);
  });

  it("the user's cmd replaces the image's, args follow the entrypoint", () => {
    const m = mergeConfig(userConfig({ cmd: ['echo', 'hi'] }), { ...image, Entrypoint: ['/init', '--'] });
    assert.equal(m.path, '/init');
    assert.deepEqual(m.args, ['--', 'echo', 'hi']);
  });

  it("a user entrypoint drops the image's cmd unless the user gives a cmd", () => {
    const m = mergeConfig(userConfig({ entrypoint: ['date'] }), image);
    assert.equal(m.path, 'date');
    assert.deepEqual(m.args, []);
    assert.equal(m.config.cmd, null);
    const m2 = mergeConfig(userConfig({ entrypoint: ['echo'], cmd: ['x'] }), image);
    assert.deepEqual([m2.path, ...m2.args], ['echo', 'x']);
  });

  it('an empty entrypoint ([""] or []) resets the image entrypoint', () => {
    const withEp = { ...image, Entrypoint: ['/entry'] };
    const m = mergeConfig(userConfig({ entrypoint: [''], cmd: ['ls', '-l'] }), withEp);
    assert.deepEqual([m.path, ...m.args], ['ls', '-l']);
    assert.deepEqual(m.config.entrypoint, []);
    rejects(() => mergeConfig(userConfig({ entrypoint: [] }), withEp), 'no command specified');
  });

  it('requires a command', () => {
    rejects(() => mergeConfig(userConfig(), { Env: [] }), 'no command specified');
  });

  it('puts the user env first, keeps image entries the user did not set', () => {
    const m = mergeConfig(userConfig({ env: ['B=user', 'C=user'] }), image);
    assert.deepEqual(m.config.env, ['B=user', 'C=user', 'PATH=/img/bin', 'A=image']);
  });

  it('defaults PATH', () => {
    const m = mergeConfig(userConfig({ cmd: ['x'], env: ['X=1'] }), {});
    assert.deepEqual(m.config.env, ['X=1', `PATH=${DEFAULT_PATH}`]);
  });

  it('defaults WorkingDir, User, StopSignal; merges labels, ports, volumes', () => {
    const m = mergeConfig(userConfig({ labels: { b: 'user' }, exposedPorts: ['53/udp'] }), image);
    assert.equal(m.config.workingDir, '/srv');
    assert.equal(m.config.user, 'nobody');
    assert.equal(m.config.stopSignal, 'SIGQUIT');
    assert.deepEqual(m.config.labels, { a: 'image', b: 'user' });
    assert.deepEqual(m.config.exposedPorts, ['53/udp', '80/tcp']);
    assert.deepEqual(m.config.volumes, ['/data']);
    const u = mergeConfig(userConfig({ workingDir: '/a/../b/', user: '1000', stopSignal: 'HUP' }), image);
    assert.equal(u.config.workingDir, '/b');
    assert.equal(u.config.user, '1000');
    assert.equal(u.config.stopSignal, 'HUP');
  });

  it('refuses a relative working directory and a bad stop signal', () => {
    rejects(
      () => mergeConfig(userConfig({ workingDir: 'rel' }), image),
      "the working directory 'rel' is invalid, it needs to be an absolute path",
    );
    rejects(() => mergeConfig(userConfig({ stopSignal: 'SIGNOPE' }), image), 'Invalid signal: SIGNOPE');
  });

  it('builds the process environment with HOSTNAME and TERM', () => {
    const env = processEnv(userConfig({ hostname: 'abc', tty: true, env: ['PATH=/x', 'HOSTNAME=mine'] }));
    assert.deepEqual(env, ['PATH=/x', 'HOSTNAME=mine', 'TERM=xterm']);
  });
});

describe('names', () => {
  it('accepts valid names, strips the slash', () => {
    assert.equal(validateName('web-1'), 'web-1');
    assert.equal(validateName('/a.b_c'), 'a.b_c');
  });

  it("refuses invalid ones with Docker's message", () => {
    for (const bad of ['a', '-x', 'x y', 'x/y', '_x', 'é']) {
      rejects(() => validateName(bad), `Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
  });

  it('generates adjective_surname names, with a digit on retries', () => {
    assert.match(generateName(), /^[a-z]+_[a-z]+$/);
    assert.match(generateName(1), /^[a-z]+_[a-z]+\d$/);
    assert.equal(
      generateName(0, () => 0),
      'amber_agnesi',
    );
    for (let i = 0; i < 50; i++) validateName(generateName(i % 2));
  });
});

describe('signals and sizes', () => {
  it('parses names with or without SIG, numbers, realtime', () => {
    assert.equal(parseSignal('KILL'), 9);
    assert.equal(parseSignal('SIGTERM'), 15);
    assert.equal(parseSignal('sigint'), 2);
    assert.equal(parseSignal('2'), 2);
    assert.equal(parseSignal('RTMIN+1'), 35);
    assert.equal(parseSignal('SIGRTMAX-2'), 62);
    rejects(() => parseSignal('NOPE'), 'Invalid signal: NOPE');
    rejects(() => parseSignal('0'), 'Invalid signal: 0');
    rejects(() => parseSignal('65'), 'Invalid signal: 65');
  });

  it('parses sizes as go-units RAMInBytes', () => {
    assert.equal(parseRamSize('10m'), 10 * 1024 * 1024);
    assert.equal(parseRamSize('1k'), 1024);
    assert.equal(parseRamSize('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(parseRamSize('512'), 512);
    assert.equal(parseRamSize('2MiB'), 2 * 1024 * 1024);
    rejects(() => parseRamSize('ten'), "invalid size: 'ten'");
  });

  it('reads log rotation options', () => {
    assert.deepEqual(logRotation({}), { maxSize: 0, maxFile: 1 });
    assert.deepEqual(logRotation({ 'max-size': '1k', 'max-file': '3' }), { maxSize: 1024, maxFile: 3 });
    rejects(() => logRotation({ 'max-size': '1k', 'max-file': '0' }), 'max-file cannot be less than 1');
  });
});

describe('validateHostConfig', () => {
  const ok = (hc: HostConfig, c = userConfig()) => validateHostConfig(hc, c, 4);

  it('accepts the defaults', () => ok(hostConfig()));

  it("refuses AutoRemove with a restart policy, with Docker's words", () => {
    rejects(
      () => ok(hostConfig({ autoRemove: true, restartPolicy: { name: 'always', maximumRetryCount: 0 } })),
      "can't create 'AutoRemove' container with restart policy",
    );
    rejects(
      () => ok(hostConfig({ restartPolicy: { name: 'always', maximumRetryCount: 2 } })),
      "invalid restart policy: maximum retry count can only be used with 'on-failure'",
    );
  });

  it('checks memory and CPU limits', () => {
    rejects(() => ok(hostConfig({}, { memory: 1024 * 1024 })), 'Minimum memory limit allowed is 6MB');
    rejects(() => ok(hostConfig({}, { memory: -1 })), 'Minimum memory limit allowed is 6MB');
    ok(hostConfig({}, { memory: 6 * 1024 * 1024 }));
    rejects(
      () => ok(hostConfig({}, { memory: 64 << 20, memorySwap: 32 << 20 })),
      'Minimum memoryswap limit should be larger than memory limit, see usage',
    );
    rejects(
      () => ok(hostConfig({}, { nanoCpus: 1e9, cpuQuota: 50000 })),
      'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
    );
    rejects(
      () => ok(hostConfig({}, { nanoCpus: 5e9 })),
      'Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available',
    );
    rejects(() => ok(hostConfig({}, { cpuQuota: 10 })), 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    rejects(() => ok(hostConfig({}, { blkioWeight: 5 })), 'Range of blkio weight is from 10 to 1000');
    rejects(
      () => ok(hostConfig({ oomScoreAdj: 2000 })),
      'Invalid value 2000, range for oom score adj is [-1000, 1000]',
    );
  });

  it('checks modes, log config, binds and security options', () => {
    rejects(
      () => ok(hostConfig({ utsMode: 'host' }), userConfig({ hostname: 'x' })),
      'Conflicting options: hostname and the UTS mode',
    );
    rejects(() => ok(hostConfig({ pidMode: 'weird' })), 'invalid PID mode: weird');
    rejects(
      () => ok(hostConfig({ logConfig: { type: 'syslog', config: {} } })),
      "logger: no log driver named 'syslog' is registered",
    );
    rejects(
      () => ok(hostConfig({ logConfig: { type: 'json-file', config: { 'max-sise': '1m' } } })),
      "unknown log opt 'max-sise' for json-file log driver",
    );
    ok(hostConfig({ binds: ['named:/data'] }));
    rejects(() => ok(hostConfig({ binds: ['/a:/b:bogus'] })), /invalid mode: bogus/);
    assert.deepEqual(parseBind('/a/:/b:ro'), { source: '/a', destination: '/b', readonly: true, options: [] });
    assert.deepEqual(parseSecurityOpt('seccomp=unconfined'), { seccomp: { kind: 'unconfined' } });
    assert.deepEqual(parseSecurityOpt('no-new-privileges:true'), { noNewPrivileges: true });
    rejects(() => ok(hostConfig({ securityOpt: ['bogus'] })), 'invalid --security-opt 1: "bogus"');
  });
});
