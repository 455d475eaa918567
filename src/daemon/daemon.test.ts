import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rawRequest } from '../../test/helpers/daemon';
import { testDir } from '../../test/helpers/names';
import { FakeImageService } from '../api/testing/fake-image-service';
import { silentLogger } from '../common/log';
import { parseDaemonArgs, UsageError } from './config';
import { Daemon } from './daemon';
import type { EngineFactory } from './engine';
import { PidLock } from './lock';
import { memTotal, openFileLimits, osRelease } from './system-facts';

const fakeEngine: EngineFactory = async () => ({
  images: new FakeImageService(),
  storageDriver: 'overlay2',
  graphDriverData: async () => null,
  close: async () => {},
});

describe('parseDaemonArgs', () => {
  it('uses dockerd-like defaults and env', () => {
    const r = parseDaemonArgs([], {});
    assert.deepEqual(r, {
      kind: 'run',
      config: {
        dataRoot: '/var/lib/berth',
        execRoot: '/run/berth',
        hosts: ['unix:///run/berth/berth.sock'],
        logLevel: 'info',
        pidfile: '/run/berth/berthd.pid',
      },
    });
    const e = parseDaemonArgs([], { BERTH_DATA_ROOT: '/d', BERTH_EXEC_ROOT: '/e', BERTH_HOST: 'unix:///s' });
    assert.ok(e.kind === 'run');
    assert.equal(e.config.dataRoot, '/d');
    assert.equal(e.config.pidfile, '/e/berthd.pid');
    assert.deepEqual(e.config.hosts, ['unix:///s']);
  });
  it('parses flags in both spellings, -H repeatable', () => {
    const r = parseDaemonArgs(
      ['--data-root=/x', '--exec-root', '/y', '-H', 'unix:///a', '--host=unix:///b', '-l', 'warn', '--pidfile', '/p'],
      {},
    );
    assert.ok(r.kind === 'run');
    assert.deepEqual(r.config, {
      dataRoot: '/x',
      execRoot: '/y',
      hosts: ['unix:///a', 'unix:///b'],
      logLevel: 'warn',
      pidfile: '/p',
    });
    const d = parseDaemonArgs(['-D'], {});
    assert.ok(d.kind === 'run' && d.config.logLevel === 'debug');
  });
  it('knows help and version, rejects the unknown', () => {
    assert.deepEqual(parseDaemonArgs(['--help']), { kind: 'help' });
    assert.deepEqual(parseDaemonArgs(['-v']), { kind: 'version' });
    assert.throws(() => parseDaemonArgs(['--nope']), UsageError);
    assert.throws(() => parseDaemonArgs(['--data-root']), UsageError);
    assert.throws(() => parseDaemonArgs(['--log-level', 'loud']), UsageError);
  });
});

describe('PidLock', () => {
  it('takes a fresh lock and releases it', () => {
    const dir = testDir('lock');
    try {
      const lock = new PidLock(path.join(dir, 'l.pid'), 'test');
      lock.acquire();
      assert.equal(readFileSync(path.join(dir, 'l.pid'), 'utf8'), `${process.pid}\n`);
      lock.release();
      assert.equal(existsSync(path.join(dir, 'l.pid')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('takes over a stale lock (dead pid, or a live process that is no berthd)', async () => {
    const dir = testDir('lock');
    const file = path.join(dir, 'l.pid');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(file, '999999999\n');
      new PidLock(file, 'test').acquire();
      writeFileSync(file, `${sleeper.pid}\n`);
      const lock = new PidLock(file, 'test');
      lock.acquire();
      assert.equal(readFileSync(file, 'utf8'), `${process.pid}\n`);
    } finally {
      sleeper.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses a lock held by a live berthd', async () => {
    const dir = testDir('lock');
    const file = path.join(dir, 'l.pid');
    const other = spawn('sh', ['-c', 'sleep 30', 'berthd'], { stdio: 'ignore', detached: true });
    try {
      writeFileSync(file, `${other.pid}\n`);
      assert.throws(
        () => new PidLock(file, 'the data root /x').acquire(),
        /another berthd \(pid \d+\) is using the data root/,
      );
    } finally {
      if (other.pid !== undefined) process.kill(-other.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Daemon (in process, fake engine)', () => {
  it('starts, serves, and cleans up socket, pidfile and lock on stop', async () => {
    const data = testDir('data');
    const exec = testDir('exec');
    const socket = path.join(exec, 'd.sock');
    const pidfile = path.join(exec, 'berthd.pid');
    try {
      const daemon = await Daemon.start(
        { dataRoot: data, execRoot: exec, hosts: [`unix://${socket}`], logLevel: 'error', pidfile },
        silentLogger,
        { createEngine: fakeEngine },
      );
      assert.ok(existsSync(pidfile));
      assert.ok(existsSync(path.join(data, 'berthd.lock')));
      const info = (await rawRequest(socket, 'GET', '/v1.44/info')).json<{ DockerRootDir: string; ID: string }>();
      assert.equal(info.DockerRootDir, data);
      const id = info.ID;
      await daemon.stop();
      assert.equal(existsSync(socket), false);
      assert.equal(existsSync(pidfile), false);
      assert.equal(existsSync(path.join(data, 'berthd.lock')), false);
      // The engine ID persists across restarts.
      const again = await Daemon.start(
        { dataRoot: data, execRoot: exec, hosts: [`unix://${socket}`], logLevel: 'error', pidfile },
        silentLogger,
        { createEngine: fakeEngine },
      );
      assert.equal((await rawRequest(socket, 'GET', '/info')).json<{ ID: string }>().ID, id);
      await again.stop();
    } finally {
      rmSync(data, { recursive: true, force: true });
      rmSync(exec, { recursive: true, force: true });
    }
  });
});

describe('system facts', () => {
  it('parses os-release, meminfo and limits', () => {
    assert.deepEqual(osRelease('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\n'), {
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      versionId: '12',
    });
    assert.equal(memTotal('MemTotal:       16384 kB\nMemFree: 1 kB\n'), 16384 * 1024);
    assert.deepEqual(openFileLimits('Max open files            20000                40000                files\n'), {
      soft: 20000,
      hard: 40000,
    });
  });
});
