import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import {
  collectMountSpecs,
  type MountRequest,
  mountPointView,
  parseBindSpec,
  parseMountFlag,
  parseMountRequest,
  tmpfsOptionsString,
} from './index';

function throws400(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isEngineError(err, 'invalid-argument'), String(err));
    assert.equal(err.message, message);
    return true;
  });
}

describe('parseBindSpec (-v)', () => {
  it('parses named volumes', () => {
    assert.deepEqual(parseBindSpec('data:/var/lib/data'), {
      type: 'volume',
      name: 'data',
      destination: '/var/lib/data',
      rw: true,
      mode: 'z',
      driver: 'local',
      copyData: true,
      driverOpts: undefined,
      labels: undefined,
      subpath: undefined,
    });
    const ro = parseBindSpec('data:/d/:ro,nocopy');
    assert.equal(ro.type, 'volume');
    assert.equal(ro.rw, false);
    assert.equal(ro.mode, 'ro,nocopy');
    assert.equal(ro.destination, '/d');
    assert.ok(ro.type === 'volume' && !ro.copyData);
    const z = parseBindSpec('data:/d:Z');
    assert.equal(z.mode, 'Z');
    assert.equal(parseBindSpec('data:/d', { volumeDriver: 'local' }).type, 'volume');
  });

  it('parses anonymous volumes', () => {
    const spec = parseBindSpec('/cache/');
    assert.equal(spec.type, 'volume');
    assert.ok(spec.type === 'volume' && spec.name === undefined);
    assert.equal(spec.destination, '/cache');
    assert.equal(spec.mode, 'z');
  });

  it('parses binds, with modes and propagation', () => {
    assert.deepEqual(parseBindSpec('/host/dir/:/in'), {
      type: 'bind',
      source: '/host/dir',
      destination: '/in',
      rw: true,
      mode: '',
      propagation: 'rprivate',
      createSource: true,
      nonRecursive: false,
    });
    const b = parseBindSpec('/h:/c:ro,rshared');
    assert.ok(b.type === 'bind');
    assert.equal(b.rw, false);
    assert.equal(b.mode, 'ro,rshared');
    assert.equal(b.propagation, 'rshared');
    assert.equal(parseBindSpec('/h:/c:rw,z,cached').rw, true);
  });

  it('rejects malformed specs with Docker messages', () => {
    throws400(() => parseBindSpec(''), "invalid volume specification: ''");
    throws400(() => parseBindSpec(':/x'), "invalid volume specification: ':/x'");
    throws400(() => parseBindSpec('/foo:rw'), "invalid volume specification: '/foo:rw'");
    throws400(() => parseBindSpec('a:/b:ro:x'), "invalid volume specification: 'a:/b:ro:x'");
    throws400(() => parseBindSpec('a:/b:xyz'), 'invalid mode: xyz');
    throws400(() => parseBindSpec('a:/b:ro,rw'), 'invalid mode: ro,rw');
    throws400(
      () => parseBindSpec('relative'),
      `invalid volume specification: 'relative': invalid mount config for type "volume": invalid mount path: 'relative' mount path must be absolute`,
    );
    throws400(
      () => parseBindSpec('/host:/'),
      `invalid volume specification: '/host:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
    );
    throws400(
      () => parseBindSpec('name:rel'),
      `invalid volume specification: 'name:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`,
    );
    throws400(
      () => parseBindSpec('name:/x:rshared'),
      `invalid volume specification: 'name:/x:rshared': invalid mount config for type "volume": field BindOptions must not be specified`,
    );
    throws400(
      () => parseBindSpec('/h:/x:nocopy'),
      `invalid volume specification: '/h:/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`,
    );
  });
});

describe('parseMountRequest (--mount, daemon side)', () => {
  const exists = (p: string): boolean => p === '/exists';

  it('converts bind, volume and tmpfs mounts', () => {
    assert.deepEqual(
      parseMountRequest({ type: 'bind', source: '/exists', target: '/x', readOnly: true }, { pathExists: exists }),
      {
        type: 'bind',
        source: '/exists',
        destination: '/x',
        rw: false,
        mode: '',
        propagation: 'rprivate',
        createSource: false,
        nonRecursive: false,
      },
    );
    const v = parseMountRequest({
      type: 'volume',
      source: 'vol',
      target: '/v',
      volumeOptions: {
        noCopy: true,
        labels: { l: '1' },
        driverConfig: { options: { type: 'tmpfs', device: 'tmpfs' } },
      },
    });
    assert.deepEqual(v, {
      type: 'volume',
      name: 'vol',
      destination: '/v',
      rw: true,
      mode: 'z',
      driver: 'local',
      copyData: false,
      driverOpts: { type: 'tmpfs', device: 'tmpfs' },
      labels: { l: '1' },
      subpath: undefined,
    });
    assert.deepEqual(
      parseMountRequest({ type: 'tmpfs', target: '/t', tmpfsOptions: { sizeBytes: 64 * 2 ** 20, mode: 0o1777 } }),
      { type: 'tmpfs', destination: '/t', rw: true, mode: '', options: 'mode=1777,size=64m' },
    );
    const create = parseMountRequest(
      { type: 'bind', source: '/missing', target: '/x', bindOptions: { createMountpoint: true } },
      { pathExists: exists },
    );
    assert.ok(create.type === 'bind' && create.createSource);
  });

  it('rejects invalid mounts with Docker messages', () => {
    const cases: Array<[MountRequest, string]> = [
      [
        { type: 'bind', source: '/x', target: '/y' },
        'invalid mount config for type "bind": bind source path does not exist: /x',
      ],
      [{ type: 'bind', target: '/y' }, 'invalid mount config for type "bind": field Source must not be empty'],
      [
        { type: 'bind', source: 'rel', target: '/y' },
        `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
      ],
      [
        { type: 'bind', source: '/exists', target: '/y', bindOptions: { propagation: 'weird' } },
        'invalid mount config for type "bind": invalid propagation mode: weird',
      ],
      [
        { type: 'volume', source: 'v', target: '' },
        'invalid mount config for type "volume": field Target must not be empty',
      ],
      [
        { type: 'volume', source: 'v', target: '/' },
        `invalid mount config for type "volume": invalid specification: destination can't be '/'`,
      ],
      [
        { type: 'volume', source: 'v', target: '/a/..' },
        `invalid mount config for type "volume": invalid specification: destination can't be '/'`,
      ],
      [
        { type: 'volume', source: 'v', target: 'y' },
        `invalid mount config for type "volume": invalid mount path: 'y' mount path must be absolute`,
      ],
      [
        { type: 'volume', target: '/y', volumeOptions: { subpath: 'a' } },
        'invalid mount config for type "volume": must not set Subpath when using anonymous volumes',
      ],
      [
        { type: 'volume', source: 'v', target: '/y', volumeOptions: { subpath: '../a' } },
        'invalid mount config for type "volume": subpath must be a relative path within the volume',
      ],
      [
        { type: 'tmpfs', source: 'x', target: '/y' },
        'invalid mount config for type "tmpfs": field Source must not be specified',
      ],
      [
        { type: 'volume', source: 'v', target: '/y', bindOptions: {} },
        'invalid mount config for type "volume": field BindOptions must not be specified',
      ],
      [
        { type: 'bind', source: '/exists', target: '/y', volumeOptions: {} },
        'invalid mount config for type "bind": field VolumeOptions must not be specified',
      ],
      [
        { type: 'volume', target: '/y', tmpfsOptions: {} },
        'invalid mount config for type "volume": field TmpfsOptions must not be specified',
      ],
      [{ type: 'npipe', target: '/y' }, 'invalid mount config for type "npipe": mount type unknown'],
    ];
    for (const [m, message] of cases) throws400(() => parseMountRequest(m, { pathExists: exists }), message);
  });
});

describe('collectMountSpecs', () => {
  it('keeps binds then mounts and refuses duplicate destinations', () => {
    const specs = collectMountSpecs({
      binds: ['a:/a', '/h:/b'],
      mounts: [{ type: 'tmpfs', target: '/c' }],
      pathExists: () => true,
    });
    assert.deepEqual(
      specs.map((s) => [s.type, s.destination]),
      [
        ['volume', '/a'],
        ['bind', '/b'],
        ['tmpfs', '/c'],
      ],
    );
    throws400(() => collectMountSpecs({ binds: ['a:/x', 'b:/x/'] }), 'Duplicate mount point: /x');
    throws400(() => collectMountSpecs({ binds: ['a:/x'], tmpfs: ['/x'] }), 'Duplicate mount point: /x');
    throws400(
      () => collectMountSpecs({ binds: ['a:/x'], mounts: [{ type: 'volume', target: '/x' }] }),
      'Duplicate mount point: /x',
    );
    throws400(
      () =>
        collectMountSpecs({
          mounts: [
            { type: 'volume', target: '/x' },
            { type: 'tmpfs', target: '/x' },
          ],
        }),
      'Duplicate mount point: /x',
    );
  });
});

describe('mountPointView (inspect Mounts[])', () => {
  it('renders volumes, binds and tmpfs as Docker shows them', () => {
    assert.deepEqual(mountPointView(parseBindSpec('data:/d'), { name: 'data', mountpoint: '/v/data/_data' }), {
      type: 'volume',
      name: 'data',
      source: '/v/data/_data',
      destination: '/d',
      driver: 'local',
      mode: 'z',
      rw: true,
      propagation: '',
    });
    assert.deepEqual(mountPointView(parseBindSpec('/h:/c:ro')), {
      type: 'bind',
      source: '/h',
      destination: '/c',
      mode: 'ro',
      rw: false,
      propagation: 'rprivate',
    });
    assert.deepEqual(mountPointView(parseMountRequest({ type: 'tmpfs', target: '/t' })), {
      type: 'tmpfs',
      source: '',
      destination: '/t',
      mode: '',
      rw: true,
      propagation: '',
    });
  });
});

describe('parseMountFlag (--mount, CLI side)', () => {
  it('parses every option', () => {
    assert.deepEqual(parseMountFlag('type=bind,source=/a,target=/b,readonly,bind-propagation=rshared'), {
      type: 'bind',
      source: '/a',
      target: '/b',
      readOnly: true,
      bindOptions: { propagation: 'rshared' },
    });
    assert.deepEqual(
      parseMountFlag(
        'src=v,dst=/d,volume-nocopy,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-label=a=b,volume-driver=local',
      ),
      {
        type: 'volume',
        source: 'v',
        target: '/d',
        volumeOptions: {
          noCopy: true,
          driverConfig: { options: { type: 'tmpfs', device: 'tmpfs' }, name: 'local' },
          labels: { a: 'b' },
        },
      },
    );
    assert.deepEqual(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770,ro=false'), {
      type: 'tmpfs',
      target: '/t',
      readOnly: false,
      tmpfsOptions: { sizeBytes: 64 * 2 ** 20, mode: 0o1770 },
    });
    assert.equal(parseMountFlag('type=bind,src=./x,dst=/x', '/work').source, '/work/x');
    assert.deepEqual(parseMountFlag('"type=volume","target=/a,b"'), { type: 'volume', target: '/a,b' });
    assert.equal(parseMountFlag('type=bind,src=/a,dst=/b,bind-recursive=disabled').bindOptions?.nonRecursive, true);
  });

  it('rejects bad values with the CLI messages', () => {
    throws400(() => parseMountFlag('  '), 'value is empty');
    throws400(() => parseMountFlag('type=bind,bogus'), "invalid field 'bogus' must be a key=value pair");
    throws400(() => parseMountFlag('type=bind,foo=bar'), "unknown option 'foo' in 'foo=bar'");
    throws400(() => parseMountFlag('type='), "invalid value for 'type': value is empty");
    throws400(
      () => parseMountFlag('target= /x'),
      "invalid value for 'target' in 'target= /x': value should not have whitespace",
    );
    throws400(
      () => parseMountFlag(' type=bind, target=/x'),
      "invalid option 'target' in ' target=/x': option should not have whitespace",
    );
    throws400(
      () => parseMountFlag('target=/x,readonly=yes'),
      `invalid value for 'readonly': invalid boolean value ("yes"): must be one of "true", "1", "false", or "0" (default "true")`,
    );
    throws400(
      () => parseMountFlag('type=bind,target=/x,volume-nocopy'),
      "cannot mix 'volume-*' options with mount type 'bind'",
    );
    throws400(
      () => parseMountFlag('target=/x,bind-propagation=shared'),
      "cannot mix 'bind-*' options with mount type 'volume'",
    );
    throws400(() => parseMountFlag('target=/x,tmpfs-size=1m'), "cannot mix 'tmpfs-*' options with mount type 'volume'");
    throws400(() => parseMountFlag('type=tmpfs,target=/x,tmpfs-size=big'), 'invalid value for tmpfs-size: big');
    throws400(() => parseMountFlag('type=tmpfs,target=/x,tmpfs-mode=999'), 'invalid value for tmpfs-mode: 999');
    throws400(
      () => parseMountFlag('type=bind,target=/x,bind-nonrecursive'),
      'bind-nonrecursive is deprecated, use bind-recursive=disabled instead',
    );
    throws400(
      () => parseMountFlag('type=bind,target=/x,bind-recursive=maybe'),
      'invalid value for bind-recursive: maybe (must be "enabled", "disabled", "writable", or "readonly")',
    );
    throws400(
      () => parseMountFlag('type=bind,target=/x,bind-recursive=writable'),
      "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction",
    );
    throws400(
      () => parseMountFlag('type=bind,target=/x,bind-recursive=readonly,ro'),
      "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
    );
    throws400(() => parseMountFlag('"type=bind'), 'parse error on line 1: extraneous or missing " in quoted-field');
  });
});

describe('tmpfsOptionsString', () => {
  it('matches Docker: ro first, octal mode, the largest exact size suffix', () => {
    assert.equal(tmpfsOptionsString(undefined, false), '');
    assert.equal(tmpfsOptionsString({ sizeBytes: 2 ** 30, mode: 0o700 }, true), 'ro,mode=700,size=1g');
    assert.equal(tmpfsOptionsString({ sizeBytes: 3072 }, false), 'size=3k');
    assert.equal(tmpfsOptionsString({ sizeBytes: 1536 }, false), 'size=1536');
    assert.equal(tmpfsOptionsString({ sizeBytes: 1000 }, false), 'size=1000');
  });
});
