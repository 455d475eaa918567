import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { RecordingHost } from '../../host';
import type { ContainerConfigFields, HistoryEntryFile } from '../images/types';
import { readTar } from '../snapshots/tar-reader';
import { cpPathInfo, extractInto, statInRoot, tarTree } from './archive';
import { CHANGE_ADD, CHANGE_MODIFY, computeChanges, isInitLayerPath } from './changes';
import { commitConfig, mergeConfigFields } from './commit';
import { defaultContainerConfig } from './defaults';
import { GO_MODE, goFileMode, goTime } from './file-mode';
import { ContainerRoot } from './in-root';
import { encodeTarHeader, TAR_END, tarPadding } from './tar-writer';
import type { Container } from './types';

async function entries(
  stream: Readable,
): Promise<Array<{ name: string; type: string; data: string; linkname: string }>> {
  const out: Array<{ name: string; type: string; data: string; linkname: string }> = [];
  for await (const ev of readTar(stream)) {
    if (ev.kind === 'entry')
      out.push({ name: ev.header.name, type: ev.header.type, data: '', linkname: ev.header.linkname });
    else {
      const last = out[out.length - 1];
      if (last) last.data += ev.chunk.toString();
    }
  }
  return out;
}

describe('goFileMode', () => {
  it('encodes type bits as Go os.FileMode', () => {
    assert.equal(goFileMode(0o040755), GO_MODE.dir + 0o755);
    assert.equal(goFileMode(0o040755), 2147484141); // what dockerd sends for a 0755 directory
    assert.equal(goFileMode(0o120777), 134218239); // a symlink
    assert.equal(goFileMode(0o100644), 0o644);
    assert.equal(goFileMode(0o020666), GO_MODE.device + GO_MODE.charDevice + 0o666);
    assert.equal(goFileMode(0o060660), GO_MODE.device + 0o660);
    assert.equal(goFileMode(0o010644), GO_MODE.namedPipe + 0o644);
    assert.equal(goFileMode(0o104755), GO_MODE.setuid + 0o755);
    assert.equal(goFileMode(0o041777), GO_MODE.dir + GO_MODE.sticky + 0o777);
  });
  it('formats times as Go does', () => {
    assert.equal(goTime(0, 0), '1970-01-01T00:00:00Z');
    assert.equal(goTime(1, 500_000_000), '1970-01-01T00:00:01.5Z');
    assert.equal(goTime(1, 206261356), '1970-01-01T00:00:01.206261356Z');
  });
});

describe('cpPathInfo', () => {
  it('names a path as docker cp does', () => {
    assert.deepEqual(cpPathInfo('/d'), { name: 'd', followFinal: false });
    assert.deepEqual(cpPathInfo('/d/'), { name: 'd', followFinal: true });
    assert.deepEqual(cpPathInfo('/d/.'), { name: '.', followFinal: true });
    assert.deepEqual(cpPathInfo('/'), { name: '/', followFinal: true });
  });
});

describe('tar writer', () => {
  it('round-trips through the layer tar reader, long names via pax', async () => {
    const long = `${'a'.repeat(120)}/${'b'.repeat(120)}`;
    const chunks = [
      encodeTarHeader({ name: 'd/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 1 }),
      encodeTarHeader({ name: long, type: 'file', mode: 0o644, uid: 3_000_000, gid: 0, mtime: 1, size: 3 }),
      Buffer.from('abc'),
      tarPadding(3),
      encodeTarHeader({ name: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1, linkname: '/x'.repeat(80) }),
      TAR_END,
    ];
    const got: Array<{ name: string; uid: number; linkname: string }> = [];
    for await (const ev of readTar(chunks)) if (ev.kind === 'entry') got.push(ev.header);
    assert.deepEqual(
      got.map((h) => [h.name, h.uid, h.linkname]),
      [
        ['d/', 0, ''],
        [long, 3_000_000, ''],
        ['l', 0, '/x'.repeat(80)],
      ],
    );
  });
});

describe('ContainerRoot: paths stay inside the root', () => {
  let dir: string;
  let rootDir: string;
  let outside: string;
  beforeEach(() => {
    dir = testDir('inroot');
    rootDir = path.join(dir, 'root');
    outside = path.join(dir, 'outside');
    mkdirSync(path.join(rootDir, 'etc'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(rootDir, 'etc', 'hostname'), 'inside\n');
    writeFileSync(path.join(outside, 'hostname'), 'HOST\n');
    symlinkSync('/', path.join(rootDir, 'escape')); // absolute: re-rooted
    symlinkSync('../../../../../../..', path.join(rootDir, 'dots')); // .. chain: stops at the root
    symlinkSync(outside, path.join(rootDir, 'hostabs')); // absolute host path: means <root><outside>
    symlinkSync('/loop2', path.join(rootDir, 'loop1'));
    symlinkSync('/loop1', path.join(rootDir, 'loop2'));
    symlinkSync('etc', path.join(rootDir, 'rel'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-roots absolute symlinks and .. chains', async () => {
    const root = new ContainerRoot(rootDir);
    assert.deepEqual(await root.resolve('/escape/etc/hostname', { followFinal: false }), ['etc', 'hostname']);
    assert.deepEqual(await root.resolve('/dots/etc/hostname', { followFinal: false }), ['etc', 'hostname']);
    assert.deepEqual(await root.resolve('/../../etc/../etc/hostname', { followFinal: false }), ['etc', 'hostname']);
    assert.deepEqual(await root.resolve('/rel', { followFinal: true }), ['etc']);
    assert.deepEqual(await root.resolve('/rel', { followFinal: false }), ['rel']);
    assert.equal(await root.readFile('/escape/etc/hostname', 100), 'inside\n');
    assert.equal(await root.readFile('/dots/etc/hostname', 100), 'inside\n');
  });

  it('never reaches a host path through a symlink', async () => {
    const root = new ContainerRoot(rootDir);
    assert.equal(await root.readFile(`/hostabs/hostname`, 100), undefined);
    assert.equal(await statInRoot(root, '/hostabs/hostname'), undefined);
  });

  it('refuses symlink loops', async () => {
    const root = new ContainerRoot(rootDir);
    await assert.rejects(root.resolve('/loop1/x', { followFinal: true }), /too many levels of symbolic links/);
  });

  it('fails (never follows) when a checked directory is swapped for a symlink', async () => {
    const root = new ContainerRoot(rootDir);
    const parts = await root.resolve('/etc/hostname', { followFinal: false });
    // The race of CVE-2018-15664: after resolution, etc becomes a symlink to the host's directory.
    rmSync(path.join(rootDir, 'etc'), { recursive: true });
    symlinkSync(outside, path.join(rootDir, 'etc'));
    await assert.rejects(root.openDir(parts.slice(0, -1)), (err: NodeJS.ErrnoException) =>
      ['ELOOP', 'ENOTDIR'].includes(err.code ?? ''),
    );
    const tar = await entries(tarTree({ root, parts: ['etc'], name: 'etc', crossMounts: false })).catch(() => []);
    assert.ok(tar.every((e) => e.data !== 'HOST\n'));
  });

  it('tars a path named by its base, and a /. path by its contents', async () => {
    const root = new ContainerRoot(rootDir);
    const found = await statInRoot(root, '/escape/etc/');
    assert.ok(found);
    assert.equal(found.stat.name, 'etc');
    assert.equal(found.stat.mode, GO_MODE.dir + 0o755);
    const named = await entries(tarTree({ root, parts: found.parts, name: 'etc', crossMounts: true }));
    assert.deepEqual(
      named.map((e) => [e.name, e.data]),
      [
        ['etc/', ''],
        ['etc/hostname', 'inside\n'],
      ],
    );
    const dot = await entries(tarTree({ root, parts: ['etc'], name: '.', crossMounts: true }));
    assert.deepEqual(
      dot.map((e) => e.name),
      ['./', './hostname'],
    );
    const link = await statInRoot(root, '/escape');
    assert.equal(link?.stat.mode, GO_MODE.symlink + 0o777);
    assert.equal(link?.stat.linkTarget, '/');
  });

  it('reads mounts from their sources', async () => {
    writeFileSync(path.join(dir, 'hostname-file'), 'from-bind\n');
    const root = new ContainerRoot(rootDir, [
      { destination: '/etc/hostname', source: path.join(dir, 'hostname-file'), readonly: false },
    ]);
    assert.equal(await root.readFile('/escape/etc/hostname', 100), 'from-bind\n');
  });

  it('extracts inside the root, refusing parents that are symlinks', async () => {
    const root = new ContainerRoot(rootDir);
    const tarOf = (name: string, data: string) =>
      Readable.from([
        encodeTarHeader({ name, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 1, size: data.length }),
        Buffer.from(data),
        tarPadding(data.length),
        TAR_END,
      ]);
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const options = { noOverwriteDirNonDir: true, owner, readonlyRootfs: false, host: new RecordingHost() };
    const dest = await root.resolve('/escape/etc/', { followFinal: true });
    await extractInto(root, dest, tarOf('new', 'x'), options);
    assert.equal(readFileSync(path.join(rootDir, 'etc', 'new'), 'utf8'), 'x');
    await assert.rejects(extractInto(root, [], tarOf('hostabs/evil', 'x'), options), /not a directory/);
    await assert.rejects(extractInto(root, [], tarOf('../evil', 'x'), options), /outside the destination/);
    await assert.rejects(extractInto(root, [], tarOf('etc', 'x'), options), /cannot overwrite directory/);
    assert.throws(() => readFileSync(path.join(outside, 'evil')));
    assert.equal(readFileSync(path.join(outside, 'hostname'), 'utf8'), 'HOST\n');
  });
});

describe('computeChanges', () => {
  let dir: string;
  beforeEach(() => {
    dir = testDir('changes');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports additions, modifications and parents, in walk order, without init-layer paths', async () => {
    const lower = path.join(dir, 'lower');
    const upper = path.join(dir, 'upper');
    mkdirSync(path.join(lower, 'etc'), { recursive: true });
    writeFileSync(path.join(lower, 'etc', 'passwd'), 'root\n');
    mkdirSync(path.join(upper, 'etc'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(upper, 'etc', 'passwd'), 'root\napp\n');
    writeFileSync(path.join(upper, 'etc', 'new'), 'x');
    writeFileSync(path.join(upper, 'etc', 'hostname'), '');
    mkdirSync(path.join(upper, 'proc'));
    mkdirSync(path.join(upper, 'data', 'sub'), { recursive: true });
    const changes = await computeChanges(upper, [lower], new RecordingHost());
    assert.deepEqual(changes, [
      { path: '/data', kind: CHANGE_ADD },
      { path: '/data/sub', kind: CHANGE_ADD },
      { path: '/etc', kind: CHANGE_MODIFY },
      { path: '/etc/new', kind: CHANGE_ADD },
      { path: '/etc/passwd', kind: CHANGE_MODIFY },
    ]);
  });

  it('knows the init-layer paths', () => {
    assert.ok(isInitLayerPath(['etc', 'hostname']));
    assert.ok(isInitLayerPath(['proc']));
    assert.ok(!isInitLayerPath(['etc', 'passwd']));
  });
});

describe('commit config', () => {
  it('applies changes to the request config and completes it from the container', () => {
    const merged = mergeConfigFields(
      { Env: ['A=1'], Cmd: ['x'] },
      { Env: ['A=0', 'PATH=/bin'], Cmd: ['sh'], User: 'app' },
    );
    assert.deepEqual(merged.Env, ['A=1', 'PATH=/bin']);
    assert.deepEqual(merged.Cmd, ['x']);
    assert.equal(merged.User, 'app');
    const config = { ...defaultContainerConfig(), cmd: ['sh', '-c', 'echo hi > /x'], env: ['PATH=/bin'], image: 'img' };
    const c = { id: 'abc', path: 'sh', args: ['-c', 'echo hi > /x'], config } as unknown as Container;
    const out = commitConfig({
      container: c,
      parent: { rootfs: { type: 'layers', diff_ids: [] }, history: [{ created_by: 'base' }], os: 'linux' },
      request: { comment: 'msg', author: 'me', changes: ['CMD ["cat","/x"]', 'ENV B=2'] },
      created: '2026-01-01T00:00:00Z',
    });
    const cfg = out.config as ContainerConfigFields;
    const history = out.history as HistoryEntryFile[];
    assert.deepEqual(cfg.Cmd, ['cat', '/x']);
    assert.deepEqual(cfg.Env, ['B=2', 'PATH=/bin']);
    assert.equal(history.length, 2);
    assert.equal(history[1]?.created_by, 'sh -c echo hi > /x');
    assert.equal(out.comment, 'msg');
    assert.equal(out.author, 'me');
  });
});
