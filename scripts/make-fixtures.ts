/**
 * Builds the test image archives offline and deterministically (fixed
 * times, owners and key order; gzip without a timestamp), so the same
 * busybox binary always gives the same image IDs.
 *
 *   npx tsx scripts/make-fixtures.ts [outdir]     (default test/fixtures/out/)
 *
 * Tests call `fixtures()`, which builds them once per process into a
 * temporary directory. See test/fixtures/README.md for what each archive holds.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export const MTIME = new Date('2024-01-01T00:00:00Z');
export const CREATED = '2024-01-01T00:00:00Z';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  uid?: number;
  gid?: number;
}

/** A tar of `entries`, in order, with fixed times and root ownership. */
export async function buildTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: MTIME,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      uname: '',
      gname: '',
      ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
    };
    const body = type === 'file' ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => pack.entry(header, body, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function sha256hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestOf(data: Buffer | string): string {
  return `sha256:${sha256hex(data)}`;
}

export function chainIdsOf(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : digestOf(`${prev} ${d}`));
  }
  return out;
}

/** Deterministic gzip (no name, mtime 0). */
export function gzip(data: Buffer): Buffer {
  return gzipSync(data, { level: 6 });
}

export interface ImageSpec {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  /** Config fields besides rootfs (which is computed from the layers). */
  config: Record<string, unknown>;
  repoTags: string[];
}

/** The config bytes of an image; its ID is their sha256. */
export function configBytes(spec: ImageSpec, diffIds?: string[]): Buffer {
  const rootfs = { type: 'layers', diff_ids: diffIds ?? spec.layers.map((l) => digestOf(l)) };
  return Buffer.from(JSON.stringify({ ...spec.config, rootfs }));
}

/**
 * A docker-archive as moby before v25 wrote it: `<n>/layer.tar` per layer,
 * the config as `<hex>.json`, `manifest.json` and `repositories`.
 */
export async function dockerArchive(
  images: ImageSpec[],
  options: { diffIds?: string[][]; manifest?: unknown } = {},
): Promise<Buffer> {
  const entries: TarEntry[] = [];
  const manifest: unknown[] = [];
  const seen = new Set<string>();
  images.forEach((spec, idx) => {
    const cfg = configBytes(spec, options.diffIds?.[idx]);
    const cfgName = `${sha256hex(cfg)}.json`;
    const layerPaths = spec.layers.map((layer) => {
      const dir = sha256hex(layer);
      if (!seen.has(dir)) {
        seen.add(dir);
        entries.push({ name: `${dir}/`, type: 'directory' });
        entries.push({ name: `${dir}/VERSION`, content: '1.0' });
        entries.push({ name: `${dir}/layer.tar`, content: layer });
      }
      return `${dir}/layer.tar`;
    });
    entries.push({ name: cfgName, content: cfg });
    manifest.push({ Config: cfgName, RepoTags: spec.repoTags, Layers: layerPaths });
  });
  entries.push({ name: 'manifest.json', content: JSON.stringify(options.manifest ?? manifest) });
  return buildTar(entries);
}

/** An OCI image layout with gzip layers; names in index.json annotations. */
export async function ociArchive(images: ImageSpec[], options: { layerBlobs?: Buffer[][] } = {}): Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer) => {
    const d = digestOf(b);
    blobs.set(sha256hex(b), b);
    return { digest: d, size: b.length };
  };
  const index: Array<Record<string, unknown>> = [];
  images.forEach((spec, idx) => {
    const cfg = put(configBytes(spec));
    const layerBlobs = options.layerBlobs?.[idx] ?? spec.layers.map(gzip);
    const layers = layerBlobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(b) }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers,
      }),
    );
    const m = put(manifest);
    for (const tag of spec.repoTags.length > 0 ? spec.repoTags : [undefined]) {
      const desc: Record<string, unknown> = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m };
      if (tag !== undefined) {
        desc.annotations = {
          'io.containerd.image.name': normalizeName(tag),
          'org.opencontainers.image.ref.name': tag.slice(tag.lastIndexOf(':') + 1),
        };
      }
      index.push(desc);
    }
  });
  const entries: TarEntry[] = [
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: index }) },
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
  ];
  for (const [hex, b] of [...blobs].sort(([a], [b2]) => a.localeCompare(b2))) {
    entries.push({ name: `blobs/sha256/${hex}`, content: b });
  }
  return buildTar(entries);
}

function normalizeName(tag: string): string {
  const first = tag.split('/')[0] ?? '';
  if (tag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return tag;
  return tag.includes('/') ? `docker.io/${tag}` : `docker.io/library/${tag}`;
}

const APPLETS = [
  'sh',
  'ls',
  'cat',
  'echo',
  'true',
  'false',
  'sleep',
  'id',
  'env',
  'mkdir',
  'touch',
  'wget',
  'httpd',
  'ps',
  'hostname',
  'rm',
  'cp',
  'mv',
  'ln',
  'chmod',
  'grep',
  'sed',
  'head',
  'tail',
  'wc',
  'test',
  '[',
  'printf',
  'kill',
  'mount',
  'uname',
  'whoami',
  'nc',
  'ip',
  'ping',
  'readlink',
  'stat',
  'find',
  'xargs',
  'sort',
  'tee',
  'date',
  'pwd',
  'top',
  'vi',
  'nslookup',
  'du',
  'df',
  'tar',
  'gzip',
  'dd',
  'seq',
  'yes',
  'nproc',
  'timeout',
];

const ROOT_DIRS = ['bin/', 'dev/', 'etc/', 'home/', 'proc/', 'root/', 'sys/', 'usr/', 'usr/bin/', 'var/', 'var/www/'];

/** The busybox layer: the static binary, applet symlinks, passwd and group. */
export async function busyboxLayer(busybox: Buffer): Promise<Buffer> {
  const entries: TarEntry[] = ROOT_DIRS.map((name) => ({ name, type: 'directory' as const }));
  entries.push({ name: 'tmp/', type: 'directory', mode: 0o1777 });
  entries.push({ name: 'bin/busybox', content: busybox, mode: 0o755 });
  for (const a of APPLETS) entries.push({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' });
  entries.push({
    name: 'etc/passwd',
    content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  });
  entries.push({ name: 'etc/group', content: 'root:x:0:\nnobody:x:65534:\n' });
  entries.push({ name: 'etc/hostname', content: 'berth\n' });
  return buildTar(entries);
}

const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

export function busyboxSpec(layer: Buffer): ImageSpec {
  return {
    layers: [layer],
    config: {
      architecture: goArch(),
      os: 'linux',
      created: CREATED,
      config: { Env: ENV, Cmd: ['sh'] },
      history: [
        { created: CREATED, created_by: '/bin/sh -c #(nop) ADD file:busybox in / ' },
        { created: CREATED, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
      ],
    },
    repoTags: ['berth-test/busybox:latest'],
  };
}

export async function layeredSpec(base: Buffer): Promise<ImageSpec> {
  const add = await buildTar([
    { name: 'data/', type: 'directory' },
    { name: 'data/file1', content: 'one\n' },
    { name: 'data/hardlink', type: 'link', linkname: 'data/file1' },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/remove-me', content: 'gone soon\n' },
    { name: 'opt/dir/', type: 'directory' },
    { name: 'opt/dir/old', content: 'old\n' },
  ]);
  const whiteouts = await buildTar([
    { name: 'opt/', type: 'directory' },
    { name: 'opt/.wh.remove-me', content: '' },
    { name: 'opt/dir/', type: 'directory' },
    { name: 'opt/dir/.wh..wh..opq', content: '' },
    { name: 'opt/dir/new', content: 'new\n' },
  ]);
  const top = await buildTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/layered-release', content: 'layered v1\n' },
  ]);
  return {
    layers: [base, add, whiteouts, top],
    config: {
      architecture: goArch(),
      os: 'linux',
      created: '2024-01-02T00:00:00Z',
      config: { Env: ENV, Cmd: ['cat', '/etc/layered-release'], Labels: { 'org.berth.test': 'layered' } },
      history: [
        { created: CREATED, created_by: '/bin/sh -c #(nop) ADD file:busybox in / ' },
        { created: CREATED, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        { created: '2024-01-02T00:00:00Z', created_by: '/bin/sh -c mkdir /data /opt && ...' },
        { created: '2024-01-02T00:00:00Z', created_by: '/bin/sh -c rm /opt/remove-me ...' },
        { created: '2024-01-02T00:00:00Z', created_by: 'LABEL org.berth.test=layered', empty_layer: true },
        { created: '2024-01-02T00:00:00Z', created_by: '/bin/sh -c echo layered v1 > /etc/layered-release' },
      ],
    },
    repoTags: ['berth-test/layered:v1'],
  };
}

function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
  return map[process.arch] ?? process.arch;
}

/** Where the busybox-static binary is, or undefined. */
export function findBusybox(): string | undefined {
  try {
    const p = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
    return p === '' ? undefined : realpathSync(p);
  } catch {
    return undefined;
  }
}

export interface FixtureSet {
  dir: string;
  /** docker-archive of berth-test/busybox:latest. */
  busybox: string;
  /** docker-archive of berth-test/layered:v1 (4 layers, whiteout, opaque dir, hardlink, label). */
  layered: string;
  /** The same image as an OCI layout with gzip layers. */
  layeredOci: string;
  badTruncatedGzip: string;
  badMissingLayer: string;
  badDiffId: string;
  badEscape: string;
  /** Expected image IDs (sha256 of the config bytes). */
  ids: { busybox: string; layered: string };
  /** Uncompressed layer diffIDs of the layered image, bottom first. */
  layeredDiffIds: string[];
  /** True when the busybox binary is a stand-in (no busybox installed). */
  fakeBusybox: boolean;
}

/**
 * Writes every fixture into `dir`. Without a busybox binary, throws unless
 * `allowFakeBusybox` (then a small stand-in file is used: fine for store
 * tests, useless for running containers).
 */
export async function makeFixtures(dir: string, options: { allowFakeBusybox?: boolean } = {}): Promise<FixtureSet> {
  const bin = findBusybox();
  let busybox: Buffer;
  if (bin !== undefined && existsSync(bin)) busybox = readFileSync(bin);
  else if (options.allowFakeBusybox) busybox = Buffer.from('#!/bin/false\nnot really busybox\n');
  else throw new Error("busybox not found: install Debian's busybox-static (apt-get install busybox-static)");
  await fs.mkdir(dir, { recursive: true });
  const base = await busyboxLayer(busybox);
  const bb = busyboxSpec(base);
  const layered = await layeredSpec(base);
  const write = async (name: string, data: Buffer) => {
    const p = path.join(dir, name);
    await fs.writeFile(p, data);
    return p;
  };
  const layeredDiffIds = layered.layers.map((l) => digestOf(l));

  const truncated = gzip(layered.layers[1] ?? Buffer.alloc(0));
  const escapeLayer = await buildTar([{ name: '../escape', content: 'out of the root\n' }]);
  const escapeSpec: ImageSpec = { ...bb, layers: [escapeLayer], repoTags: ['berth-test/bad-escape:latest'] };
  const wrongDiffIds = [digestOf('not the layer')];

  return {
    dir,
    busybox: await write('busybox.tar', await dockerArchive([bb])),
    layered: await write('layered.tar', await dockerArchive([layered])),
    layeredOci: await write('layered-oci.tar', await ociArchive([layered])),
    badTruncatedGzip: await write(
      'bad-truncated-gzip.tar',
      await ociArchive([{ ...layered, repoTags: ['berth-test/bad-truncated:latest'] }], {
        layerBlobs: [
          [gzip(base), truncated.subarray(0, Math.floor(truncated.length / 2)), ...layered.layers.slice(2).map(gzip)],
        ],
      }),
    ),
    badMissingLayer: await write(
      'bad-missing-layer.tar',
      await dockerArchive([{ ...bb, repoTags: ['berth-test/bad-missing:latest'] }], {
        manifest: [
          {
            Config: `${sha256hex(configBytes(bb))}.json`,
            RepoTags: ['berth-test/bad-missing:latest'],
            Layers: ['missing/layer.tar'],
          },
        ],
      }),
    ),
    badDiffId: await write(
      'bad-diffid.tar',
      await dockerArchive([{ ...bb, repoTags: ['berth-test/bad-diffid:latest'] }], { diffIds: [wrongDiffIds] }),
    ),
    badEscape: await write('bad-escape.tar', await dockerArchive([escapeSpec])),
    ids: { busybox: digestOf(configBytes(bb)), layered: digestOf(configBytes(layered)) },
    layeredDiffIds,
    fakeBusybox: bin === undefined,
  };
}

let built: Promise<FixtureSet> | undefined;

/**
 * The fixtures, built once per process into a temporary directory (removed
 * at process exit). Stand-in busybox when none is installed.
 */
export function fixtures(): Promise<FixtureSet> {
  built ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-test-fixtures-'));
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
    });
    return makeFixtures(dir, { allowFakeBusybox: true });
  })();
  return built;
}

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'test', 'fixtures', 'out'));
  if (findBusybox() === undefined) {
    console.error('make-fixtures: skipped: no busybox binary found (apt-get install busybox-static)');
    process.exit(0);
  }
  const set = await makeFixtures(out);
  for (const [k, v] of Object.entries(set)) if (typeof v === 'string') console.log(`${k}: ${v}`);
  console.log(`busybox image ID: ${set.ids.busybox}\nlayered image ID: ${set.ids.layered}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`make-fixtures: ${(err as Error).message}`);
    process.exit(1);
  });
}
