/**
 * An in-memory `Snapshotter` for unit tests of the image service: it reads
 * each layer tar to the end, counts its file bytes and remembers the
 * snapshot, so tests see which chain IDs exist without root or overlayfs.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { conflict, invalidArgument, notFound } from '../../common/errors';
import type { Mount } from '../../host';
import type { ApplyResult, ChainId, SnapshotInfo, Snapshotter } from '../snapshots';

export class FakeSnapshotter implements Snapshotter {
  readonly driver = 'fake';
  readonly snapshots = new Map<string, SnapshotInfo & { size: number; files: string[] }>();
  /** How many times a layer was really unpacked. */
  applied = 0;

  async recover(): Promise<void> {}

  async stat(name: string): Promise<SnapshotInfo | undefined> {
    const s = this.snapshots.get(name);
    return s === undefined ? undefined : { name: s.name, kind: s.kind, parent: s.parent, createdAt: s.createdAt };
  }

  async list(): Promise<SnapshotInfo[]> {
    return [...this.snapshots.keys()].map((k) => {
      const s = this.snapshots.get(k)!;
      return { name: s.name, kind: s.kind, parent: s.parent, createdAt: s.createdAt };
    });
  }

  async applyLayer(name: ChainId, parent: ChainId | undefined, layer: Readable): Promise<ApplyResult> {
    if (parent !== undefined && !this.snapshots.has(parent)) throw notFound(`parent snapshot ${parent} not found`);
    const existing = this.snapshots.get(name);
    if (existing !== undefined) {
      layer.resume();
      return { size: existing.size };
    }
    let size = 0;
    const files: string[] = [];
    const extract = tar.extract();
    const reading = (async () => {
      for await (const entry of extract) {
        const n = entry.header.name;
        if (n.split('/').includes('..')) throw invalidArgument(`invalid layer: path ${n} escapes the root`);
        files.push(n);
        size += entry.header.type === 'file' ? entry.header.size : 0;
        entry.resume();
      }
    })();
    await Promise.all([pipeline(layer, extract as unknown as NodeJS.WritableStream), reading]);
    this.applied++;
    this.snapshots.set(name, { name, kind: 'committed', parent, createdAt: new Date().toISOString(), size, files });
    return { size };
  }

  async prepare(key: string, parent: ChainId | undefined): Promise<Mount[]> {
    this.snapshots.set(key, {
      name: key,
      kind: 'active',
      parent,
      createdAt: new Date().toISOString(),
      size: 0,
      files: [],
    });
    return [];
  }

  async mounts(): Promise<Mount[]> {
    return [];
  }

  async usage(name: string): Promise<{ size: number; inodes: number }> {
    const s = this.snapshots.get(name);
    if (s === undefined) throw notFound(`snapshot ${name} not found`);
    return { size: s.size, inodes: s.files.length };
  }

  async remove(name: string): Promise<void> {
    if (!this.snapshots.has(name)) throw notFound(`snapshot ${name} not found`);
    for (const s of this.snapshots.values()) {
      if (s.parent === name) throw conflict(`snapshot ${name} has children`);
    }
    this.snapshots.delete(name);
  }

  async diffDir(name: string): Promise<string> {
    return `/fake/${name}`;
  }
}
