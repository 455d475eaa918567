import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { isEngineError } from '../../common/errors';
import { silentLogger } from '../../common/log';
import { RecordingHost } from '../../host';
import { ANONYMOUS_LABEL, LocalVolumeService, type VolumeEvent } from './index';

let base: string;
let root: string;
let host: RecordingHost;
let svc: LocalVolumeService;
let events: VolumeEvent[];

before(() => {
  base = testDir('volumes');
});
after(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

let n = 0;
async function fresh(): Promise<void> {
  root = path.join(base, `root-${n++}`);
  host = new RecordingHost();
  events = [];
  svc = new LocalVolumeService({ root, host, logger: silentLogger, onEvent: (e) => events.push(e) });
  await svc.recover();
}

async function reopen(): Promise<LocalVolumeService> {
  const again = new LocalVolumeService({ root, host, logger: silentLogger });
  await again.recover();
  return again;
}

/** Asserts that `p` rejects with an EngineError of `kind` and exactly `message`. */
async function rejects(p: Promise<unknown>, kind: string, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isEngineError(err), `not an EngineError: ${String(err)}`);
    assert.equal(err.kind, kind);
    assert.equal(err.message, message);
    return true;
  });
}

describe('LocalVolumeService create/get', () => {
  beforeEach(fresh);

  it('creates a named volume with its directory and Docker fields', async () => {
    const v = await svc.create({ name: 'data', labels: { a: 'b' } });
    assert.equal(v.name, 'data');
    assert.equal(v.driver, 'local');
    assert.equal(v.scope, 'local');
    assert.equal(v.mountpoint, path.join(root, 'data', '_data'));
    assert.deepEqual(v.labels, { a: 'b' });
    assert.equal(v.options, null);
    assert.equal(v.anonymous, false);
    assert.match(v.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.ok((await fs.stat(v.mountpoint)).isDirectory());
    assert.equal((await fs.stat(v.mountpoint)).mode & 0o777, 0o755);
    assert.equal((await fs.stat(path.join(root, 'data'))).mode & 0o777, 0o701);
    assert.deepEqual(await svc.get('data'), v);
    assert.deepEqual(events, [{ action: 'create', name: 'data', driver: 'local' }]);
    // No temp directories left next to it.
    assert.deepEqual((await fs.readdir(root)).sort(), ['data']);
  });

  it('keeps driver options exactly as given', async () => {
    assert.deepEqual((await svc.create({ name: 'empty', driverOpts: {} })).options, {});
    const opts = { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' };
    assert.deepEqual((await svc.create({ name: 'tmp', driverOpts: opts })).options, opts);
  });

  it('gives anonymous volumes a 64-hex name and the anonymous label', async () => {
    const v = await svc.create();
    assert.match(v.name, /^[0-9a-f]{64}$/);
    assert.deepEqual(v.labels, { [ANONYMOUS_LABEL]: '' });
    assert.equal(v.anonymous, true);
    const named = await svc.create({ name: 'anon-named', anonymous: true, labels: { x: '1' } });
    assert.deepEqual(named.labels, { x: '1', [ANONYMOUS_LABEL]: '' });
  });

  it('returns the existing volume for an existing name (idempotent)', async () => {
    const first = await svc.create({ name: 'same', labels: { v: '1' } });
    const second = await svc.create({ name: 'same', labels: { v: '2' }, driver: 'local', driverOpts: { bad: 'x' } });
    assert.deepEqual(second, first);
    const [a, b] = await Promise.all([svc.create({ name: 'race' }), svc.create({ name: 'race' })]);
    assert.deepEqual(a, b);
  });

  it('refuses unknown drivers like Docker without the plugin', async () => {
    await rejects(
      svc.create({ name: 'x1', driver: 'nfsplugin' }),
      'not-found',
      'create x1: error looking up volume plugin nfsplugin: plugin "nfsplugin" not found',
    );
  });

  it('validates names with Docker messages', async () => {
    await rejects(
      svc.create({ name: 'a' }),
      'invalid-argument',
      'create a: volume name is too short, names should be at least two alphanumeric characters',
    );
    for (const bad of ['a b', '../x', '_x', 'x/y', '-x']) {
      await rejects(
        svc.create({ name: bad }),
        'invalid-argument',
        `create ${bad}: "${bad}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    assert.deepEqual(await fs.readdir(root), []);
  });

  it('validates local driver options with Docker messages', async () => {
    await rejects(
      svc.create({ name: 'o1', driverOpts: { foo: 'x' } }),
      'invalid-argument',
      'create o1: invalid option: "foo"',
    );
    await rejects(
      svc.create({ name: 'o2', driverOpts: { type: 'tmpfs' } }),
      'invalid-argument',
      'create o2: missing required option: "device"',
    );
    await rejects(
      svc.create({ name: 'o3', driverOpts: { device: 'tmpfs' } }),
      'invalid-argument',
      'create o3: missing required option: "type"',
    );
    await rejects(
      svc.create({ name: 'o4', driverOpts: { o: 'size=1m' } }),
      'invalid-argument',
      'create o4: missing required option: "device"',
    );
    await rejects(
      svc.create({ name: 'o5', driverOpts: { size: '10m' } }),
      'invalid-argument',
      'create o5: quota size requested but no quota support',
    );
    await rejects(
      svc.create({ name: 'o6', driverOpts: { type: 'bind', device: base } }),
      'invalid-argument',
      'create o6: mount type "bind" requires o=bind (or o=rbind)',
    );
    await rejects(
      svc.create({ name: 'o7', driverOpts: { type: 'none', device: '/nonexistent/berth', o: 'bind' } }),
      'invalid-argument',
      'create o7: bind source path does not exist: /nonexistent/berth',
    );
    assert.ok(await svc.create({ name: 'o8', driverOpts: { type: 'none', device: base, o: 'bind' } }));
  });

  it('answers 404 for a missing volume', async () => {
    await rejects(svc.get('nope'), 'not-found', 'get nope: no such volume');
  });
});

describe('LocalVolumeService list', () => {
  before(async () => {
    await fresh();
    await svc.create({ name: 'web-data', labels: { app: 'web', tier: 'front' } });
    await svc.create({ name: 'db-data', labels: { app: 'db' } });
    await svc.create({ name: 'cache' });
    await svc.acquire('db-data', 'c1');
  });

  const names = async (filters?: Record<string, string[]>): Promise<string[]> => {
    const r = await svc.list(filters);
    assert.deepEqual(r.warnings, []);
    return r.volumes.map((v) => v.name);
  };

  it('lists everything sorted, with Warnings: []', async () => {
    assert.deepEqual(await names(), ['cache', 'db-data', 'web-data']);
  });

  it('filters by name (substring or regexp), driver, label and dangling', async () => {
    assert.deepEqual(await names({ name: ['data'] }), ['db-data', 'web-data']);
    assert.deepEqual(await names({ name: ['^c'] }), ['cache']);
    assert.deepEqual(await names({ driver: ['local'] }), ['cache', 'db-data', 'web-data']);
    assert.deepEqual(await names({ driver: ['other'] }), []);
    assert.deepEqual(await names({ label: ['app'] }), ['db-data', 'web-data']);
    assert.deepEqual(await names({ label: ['app=web'] }), ['web-data']);
    assert.deepEqual(await names({ label: ['app', 'tier=front'] }), ['web-data']);
    assert.deepEqual(await names({ dangling: ['true'] }), ['cache', 'web-data']);
    assert.deepEqual(await names({ dangling: ['0'] }), ['db-data']);
  });

  it('rejects unknown filters and bad values like moby', async () => {
    await rejects(svc.list({ until: ['1h'] }), 'invalid-argument', "invalid filter 'until'");
    await rejects(svc.list({ dangling: ['maybe'] }), 'invalid-argument', "invalid filter 'dangling=[maybe]'");
    await rejects(
      svc.list({ dangling: ['true', 'false'] }),
      'invalid-argument',
      "invalid filter 'dangling=[true false]'",
    );
  });
});

describe('LocalVolumeService remove', () => {
  beforeEach(fresh);

  it('removes the volume and its directory', async () => {
    const v = await svc.create({ name: 'gone' });
    await fs.writeFile(path.join(v.mountpoint, 'f'), 'x');
    await svc.remove('gone');
    await rejects(svc.get('gone'), 'not-found', 'get gone: no such volume');
    assert.deepEqual(await fs.readdir(root), []);
    assert.deepEqual(events.at(-1), { action: 'destroy', name: 'gone', driver: 'local' });
  });

  it('refuses a volume in use, even with force', async () => {
    await svc.create({ name: 'busy' });
    await svc.acquire('busy', 'c2');
    await svc.acquire('busy', 'c1');
    const msg = 'remove busy: volume is in use - [c1, c2]';
    await rejects(svc.remove('busy'), 'conflict', msg);
    await rejects(svc.remove('busy', { force: true }), 'conflict', msg);
    await svc.release('busy', 'c1');
    await svc.release('busy', 'c2');
    await svc.remove('busy');
  });

  it('answers 404 for a missing volume unless forced', async () => {
    await rejects(svc.remove('nope'), 'not-found', 'get nope: no such volume');
    await svc.remove('nope', { force: true });
  });
});

describe('LocalVolumeService prune and usage', () => {
  beforeEach(fresh);

  it('prunes unused anonymous volumes only, unless all', async () => {
    const anon = await svc.create();
    const used = await svc.create();
    await svc.acquire(used.name, 'c1');
    await svc.create({ name: 'named' });
    await svc.create({ driverOpts: { type: 'tmpfs', device: 'tmpfs' } }); // options: never pruned
    await fs.writeFile(path.join(anon.mountpoint, 'f'), Buffer.alloc(1000));
    const r = await svc.prune();
    assert.deepEqual(r, { volumesDeleted: [anon.name], spaceReclaimed: 1000 });
    const all = await svc.prune({ all: true });
    assert.deepEqual(all.volumesDeleted, ['named']);
    assert.deepEqual(events.at(-1), { action: 'prune', reclaimed: 0 });
    assert.equal((await svc.list()).volumes.length, 2);
  });

  it('honours label, label! and the all filter', async () => {
    await svc.create({ name: 'keep', labels: { keep: '1' } });
    await svc.create({ name: 'drop', labels: { env: 'test' } });
    await svc.create({ name: 'other' });
    assert.deepEqual((await svc.prune({ filters: { all: ['true'], label: ['env=test'] } })).volumesDeleted, ['drop']);
    assert.deepEqual((await svc.prune({ filters: { all: ['1'], 'label!': ['keep'] } })).volumesDeleted, ['other']);
    assert.deepEqual(
      (await svc.list()).volumes.map((v) => v.name),
      ['keep'],
    );
    await rejects(svc.prune({ filters: { dangling: ['true'] } }), 'invalid-argument', "invalid filter 'dangling'");
    await rejects(
      svc.prune({ filters: { all: ['true', 'false'] } }),
      'invalid-argument',
      "invalid filter 'all=[true false]': only one value is expected",
    );
    await rejects(
      svc.prune({ filters: { all: ['yes'] } }),
      'invalid-argument',
      `invalid filter 'all': strconv.ParseBool: parsing "yes": invalid syntax`,
    );
  });

  it('reports usage: bytes under _data (hardlinks once) and references', async () => {
    const v = await svc.create({ name: 'sized' });
    assert.deepEqual(await svc.usage('sized'), { size: 0, refCount: 0 });
    await fs.mkdir(path.join(v.mountpoint, 'd'));
    await fs.writeFile(path.join(v.mountpoint, 'd', 'a'), Buffer.alloc(300));
    await fs.link(path.join(v.mountpoint, 'd', 'a'), path.join(v.mountpoint, 'hard'));
    await fs.writeFile(path.join(v.mountpoint, 'b'), Buffer.alloc(20));
    await svc.acquire('sized', 'c1');
    await svc.acquire('sized', 'c2');
    assert.deepEqual(await svc.usage('sized'), { size: 320, refCount: 2 });
    await svc.create({ name: 'opts', driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    const df = await svc.diskUsage();
    assert.deepEqual(
      df.map((x) => [x.volume.name, x.usage]),
      [['sized', { size: 320, refCount: 2 }]],
    );
    await rejects(svc.usage('nope'), 'not-found', 'get nope: no such volume');
  });
});

describe('LocalVolumeService references', () => {
  beforeEach(fresh);

  it('persists references across restarts', async () => {
    await svc.create({ name: 'refd' });
    await svc.acquire('refd', 'c1');
    await svc.acquire('refd', 'c1');
    await svc.acquire('refd', 'c2');
    assert.deepEqual(svc.users('refd'), ['c1', 'c2']);
    let again = await reopen();
    assert.deepEqual(again.users('refd'), ['c1', 'c2']);
    await again.release('refd', 'c1');
    again = await reopen();
    assert.deepEqual(again.users('refd'), ['c2']);
    await rejects(again.acquire('nope', 'c1'), 'not-found', 'get nope: no such volume');
    await again.release('nope', 'c1'); // a gone volume is not an error at container removal
  });

  it('replaces references with setUsers', async () => {
    await svc.create({ name: 'v1' });
    await svc.create({ name: 'v2' });
    await svc.acquire('v1', 'old');
    await svc.setUsers({ v2: ['a', 'b'], missing: ['c'] });
    assert.deepEqual(svc.users('v1'), []);
    assert.deepEqual(svc.users('v2'), ['a', 'b']);
    await svc.setUsers(new Map([['v1', new Set(['x'])]]));
    const again = await reopen();
    assert.deepEqual(again.users('v1'), ['x']);
    assert.deepEqual(again.users('v2'), []);
  });
});

describe('LocalVolumeService mounts', () => {
  beforeEach(fresh);

  it('mounts a tmpfs volume on first use and unmounts on last', async () => {
    const v = await svc.create({ name: 'tmp', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1000' } });
    assert.equal(await svc.mount('tmp', 'c1'), v.mountpoint);
    assert.equal(await svc.mount('tmp', 'c2'), v.mountpoint);
    assert.deepEqual(host.callsOf('mount'), [
      {
        op: 'mount',
        mount: { type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'uid=1000'] },
        target: v.mountpoint,
      },
    ]);
    assert.deepEqual(svc.users('tmp'), ['c1', 'c2']); // mounting references
    await svc.unmount('tmp', 'c1');
    assert.equal(host.callsOf('unmount').length, 0);
    await svc.unmount('tmp', 'c2');
    assert.deepEqual(host.callsOf('unmount'), [{ op: 'unmount', target: v.mountpoint, detach: false }]);
    assert.deepEqual(host.mounted, []);
    // Remounts on the next start; release (container removed) unmounts too.
    await svc.mount('tmp', 'c1');
    assert.equal(host.callsOf('mount').length, 2);
    await svc.release('tmp', 'c1');
    assert.deepEqual(host.mounted, []);
    assert.deepEqual(svc.users('tmp'), ['c2']);
  });

  it('binds a bind volume and never deletes its device on remove', async () => {
    const device = path.join(base, `device-${n}`);
    await fs.mkdir(device);
    await fs.writeFile(path.join(device, 'keep'), 'x');
    const v = await svc.create({ name: 'bound', driverOpts: { type: 'none', device, o: 'bind' } });
    await svc.mount('bound', 'c1');
    assert.deepEqual(host.callsOf('mount')[0]?.mount, { type: 'none', source: device, options: ['bind'] });
    await rejects(svc.remove('bound'), 'conflict', 'remove bound: volume is in use - [c1]');
    await svc.release('bound', 'c1');
    await svc.remove('bound');
    assert.deepEqual(host.mounted, []);
    assert.equal(await fs.readFile(path.join(device, 'keep'), 'utf8'), 'x');
    assert.ok(!v.mountpoint.startsWith(device));
  });

  it('plain volumes need no mount', async () => {
    const v = await svc.create({ name: 'plain' });
    assert.equal(await svc.mount('plain', 'c1'), v.mountpoint);
    await svc.unmount('plain', 'c1');
    await svc.unmount('plain', 'c1'); // extra unmount: a warning, not an error
    assert.deepEqual(host.calls, []);
  });

  it('unmounts a volume found still mounted at start-up when removed', async () => {
    const v = await svc.create({ name: 'left', driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await svc.mount('left', 'c1');
    // The daemon dies; the mount stays.
    const again = new LocalVolumeService({ root, host, logger: silentLogger });
    const report = await again.recover();
    assert.deepEqual(report.stillMounted, ['left']);
    await again.mount('left', 'c1'); // already mounted: no second mount
    assert.equal(host.callsOf('mount').length, 1);
    await again.release('left', 'c1');
    assert.deepEqual(host.mounted, []);
    await again.remove('left');
    assert.ok(!(await exists(v.mountpoint)));
  });

  it('shutdown unmounts what is mounted', async () => {
    await svc.create({ name: 'sd', driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await svc.mount('sd', 'c1');
    await svc.shutdown();
    assert.deepEqual(host.mounted, []);
  });

  it('reports mount failures without the password', async () => {
    const failing = new RecordingHost();
    failing.mount = async () => {
      throw new Error('mount //srv/share: password=s3cret: permission denied');
    };
    const s = new LocalVolumeService({ root: path.join(base, `fail-${n++}`), host: failing, logger: silentLogger });
    await s.recover();
    await s.create({
      name: 'cifs',
      driverOpts: { type: 'cifs', device: '//srv/share', o: 'username=u,password=s3cret' },
    });
    await rejects(
      s.mount('cifs', 'c1'),
      'internal',
      'failed to mount local volume: mount //srv/share: password=********: permission denied',
    );
    assert.deepEqual(s.users('cifs'), []);
  });
});

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

describe('LocalVolumeService recover', () => {
  beforeEach(fresh);

  it('removes half-made volumes and stale temp files, quarantines corrupt ones', async () => {
    await svc.create({ name: 'good' });
    await svc.acquire('good', 'c1');
    // A crash while creating: the directory under its temp name.
    await fs.mkdir(path.join(root, '.tmp-half-abc', '_data'), { recursive: true });
    // A crash while removing.
    await fs.mkdir(path.join(root, '.tmp-rm-old-abc', '_data'), { recursive: true });
    // A crash during an atomic write inside a volume.
    await fs.writeFile(path.join(root, 'good', '.tmp-meta.json-123'), '{');
    // Corrupt metadata, and a directory with none.
    await fs.mkdir(path.join(root, 'broken', '_data'), { recursive: true });
    await fs.writeFile(path.join(root, 'broken', 'meta.json'), '{"version":1,');
    await fs.mkdir(path.join(root, 'stray', '_data'), { recursive: true });
    await fs.writeFile(path.join(root, 'stray', '_data', 'precious'), 'x');
    // Unreadable references are dropped, not fatal.
    await svc.create({ name: 'badrefs' });
    await fs.writeFile(path.join(root, 'badrefs', 'refs.json'), 'nope');

    const again = new LocalVolumeService({ root, host, logger: silentLogger });
    const report = await again.recover();
    assert.deepEqual(report.removed.sort(), ['.tmp-half-abc', '.tmp-rm-old-abc']);
    assert.deepEqual(report.quarantined.sort(), ['broken', 'stray']);
    assert.equal(report.volumes, 2);
    assert.deepEqual(
      (await again.list()).volumes.map((v) => v.name),
      ['badrefs', 'good'],
    );
    assert.deepEqual(again.users('good'), ['c1']);
    assert.deepEqual(again.users('badrefs'), []);
    assert.deepEqual((await fs.readdir(path.join(root, 'good'))).sort(), ['_data', 'meta.json', 'refs.json']);
    assert.deepEqual((await fs.readdir(root)).sort(), ['.quarantine', 'badrefs', 'good']);
    const q = await fs.readdir(path.join(root, '.quarantine'));
    const stray = q.find((x) => x.startsWith('stray-'));
    assert.ok(stray);
    assert.equal(await fs.readFile(path.join(root, '.quarantine', stray, '_data', 'precious'), 'utf8'), 'x');
    // The quarantine is not a volume, and the name is free again.
    await again.create({ name: 'broken' });
  });
});
