/**
 * A container's mounts as Docker resolves them: `-v` binds and volumes,
 * `--mount`, `--volumes-from`, and anonymous volumes for `-v /path` and the
 * image's VOLUMEs. At create the volumes are created and referenced; at
 * start they are mounted (an empty volume is first filled from the image);
 * at stop unmounted; at removal released (anonymous ones removed with -v).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorMessage, invalidArgument, isEngineError } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { ExtraMount } from '../runtime/types';
import { cleanPath, collectMountSpecs, type MountSpec, type VolumeService } from '../volumes';
import type { ContainerAttachments, StartAttachments } from './attachments';
import type { Container, ContainerMount } from './types';

export interface ContainerVolumesOptions {
  volumes: VolumeService;
  logger: Logger;
}

export class ContainerVolumes implements ContainerAttachments {
  private readonly volumes: VolumeService;
  private readonly logger: Logger;
  /** Containers whose volumes are mounted now: volume names per container id. */
  private readonly mounted = new Map<string, string[]>();

  constructor(options: ContainerVolumesOptions) {
    this.volumes = options.volumes;
    this.logger = options.logger;
  }

  async create(c: Container, _options: unknown, lookup: (ref: string) => Container): Promise<void> {
    const hc = c.hostConfig;
    const specs = collectMountSpecs({
      binds: hc.binds,
      ...(hc.mounts === undefined ? {} : { mounts: hc.mounts }),
      tmpfs: Object.keys(hc.tmpfs),
    });
    const out: ContainerMount[] = [];
    const taken = new Set(specs.map((s) => s.destination));
    const acquired: string[] = [];
    const createdAnon: string[] = [];
    try {
      for (const spec of specs) out.push(await this.resolve(c.id, spec, acquired, createdAnon));
      for (const entry of hc.volumesFrom ?? []) {
        const [ref = '', mode = ''] = entry.split(':');
        if (mode !== '' && mode !== 'ro' && mode !== 'rw')
          throw invalidArgument(`invalid mode for volumes-from: ${mode}`);
        const other = lookup(ref);
        for (const m of other.mounts ?? []) {
          if (taken.has(m.destination) || m.type === 'tmpfs') continue;
          taken.add(m.destination);
          const copy: ContainerMount = { ...m, rw: mode === '' ? m.rw : mode === 'rw', anonymous: false };
          if (mode !== '') copy.mode = mode;
          if (copy.type === 'volume' && copy.name !== undefined) {
            await this.volumes.acquire(copy.name, c.id);
            acquired.push(copy.name);
          }
          out.push(copy);
        }
      }
      for (const dest of c.config.volumes) {
        const d = cleanPath(dest);
        if (taken.has(d) || Object.keys(hc.tmpfs).map(cleanPath).includes(d)) continue;
        taken.add(d);
        out.push(
          await this.resolve(
            c.id,
            {
              type: 'volume',
              name: undefined,
              destination: d,
              rw: true,
              mode: '',
              driver: 'local',
              copyData: true,
              driverOpts: undefined,
              labels: undefined,
              subpath: undefined,
            },
            acquired,
            createdAnon,
          ),
        );
      }
    } catch (err) {
      for (const name of acquired) await this.volumes.release(name, c.id).catch(() => undefined);
      for (const name of createdAnon) await this.volumes.remove(name).catch(() => undefined);
      throw err;
    }
    c.mounts = out;
  }

  private async resolve(
    containerId: string,
    spec: MountSpec,
    acquired: string[],
    createdAnon: string[],
  ): Promise<ContainerMount> {
    switch (spec.type) {
      case 'bind':
        return {
          type: 'bind',
          source: spec.source,
          destination: spec.destination,
          mode: spec.mode,
          rw: spec.rw,
          propagation: spec.propagation,
          createSource: spec.createSource,
          nonRecursive: spec.nonRecursive,
        };
      case 'tmpfs':
        return {
          type: 'tmpfs',
          source: '',
          destination: spec.destination,
          mode: '',
          rw: spec.rw,
          propagation: '',
          tmpfsOptions: spec.options,
        };
      case 'volume': {
        const anonymous = spec.name === undefined;
        const volume = await this.volumes.create({
          ...(spec.name === undefined ? {} : { name: spec.name }),
          driver: spec.driver,
          ...(spec.driverOpts === undefined ? {} : { driverOpts: spec.driverOpts }),
          ...(spec.labels === undefined ? {} : { labels: spec.labels }),
          ...(anonymous ? { anonymous: true } : {}),
        });
        if (anonymous) createdAnon.push(volume.name);
        await this.volumes.acquire(volume.name, containerId);
        acquired.push(volume.name);
        const m: ContainerMount = {
          type: 'volume',
          name: volume.name,
          source: volume.mountpoint,
          destination: spec.destination,
          driver: volume.driver,
          mode: spec.mode,
          rw: spec.rw,
          propagation: '',
          copyData: spec.copyData,
          anonymous,
        };
        if (spec.subpath !== undefined) m.subpath = spec.subpath;
        return m;
      }
    }
  }

  async start(c: Container, rootfs: string): Promise<StartAttachments> {
    const mounts: ExtraMount[] = [];
    const names: string[] = [];
    this.mounted.set(c.id, names);
    try {
      for (const m of c.mounts ?? []) {
        const access = m.rw ? 'rw' : 'ro';
        if (m.type === 'tmpfs') {
          const opts = (m.tmpfsOptions ?? '').split(',').filter((o) => o !== '' && o !== 'ro');
          mounts.push({
            type: 'tmpfs',
            source: 'tmpfs',
            destination: m.destination,
            options: [access, 'nosuid', 'nodev', 'noexec', ...opts],
          });
          continue;
        }
        let source = m.source;
        if (m.type === 'volume' && m.name !== undefined) {
          source = await this.volumes.mount(m.name, c.id);
          names.push(m.name);
          if (m.copyData === true) {
            const copied = await this.volumes.copyUp(m.name, path.join(rootfs, m.destination));
            if (copied.copied) this.logger.debug('filled volume from the image', { volume: m.name, id: c.id });
          }
          if (m.subpath !== undefined) source = path.join(source, m.subpath);
        } else if (m.type === 'bind') {
          if (m.createSource === true) await fs.mkdir(source, { recursive: true });
          else
            await fs.stat(source).catch(() => {
              throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
            });
        }
        const propagation = m.propagation === '' ? 'rprivate' : m.propagation;
        mounts.push({
          type: 'bind',
          source,
          destination: m.destination,
          options: [m.nonRecursive === true ? 'bind' : 'rbind', access, propagation],
        });
      }
    } catch (err) {
      await this.stop(c);
      throw err;
    }
    return { mounts };
  }

  async stop(c: Container): Promise<void> {
    const names = this.mounted.get(c.id);
    if (names === undefined) return;
    this.mounted.delete(c.id);
    for (const name of names) {
      await this.volumes
        .unmount(name, c.id)
        .catch((err) =>
          this.logger.warn('cannot unmount volume', { volume: name, id: c.id, error: errorMessage(err) }),
        );
    }
  }

  async remove(c: Container, options: { volumes: boolean }): Promise<void> {
    await this.stop(c);
    for (const m of c.mounts ?? []) {
      if (m.type !== 'volume' || m.name === undefined) continue;
      await this.volumes.release(m.name, c.id).catch(() => undefined);
      if (options.volumes && m.anonymous === true) {
        await this.volumes.remove(m.name).catch((err) => {
          if (!isEngineError(err, 'not-found')) {
            this.logger.warn('cannot remove anonymous volume', { volume: m.name, error: errorMessage(err) });
          }
        });
      }
    }
  }

  /** After a daemon restart: a running container's volumes count as mounted again. */
  async restore(c: Container): Promise<void> {
    const names: string[] = [];
    for (const m of c.mounts ?? []) {
      if (m.type !== 'volume' || m.name === undefined) continue;
      await this.volumes.mount(m.name, c.id).then(
        () => names.push(m.name as string),
        (err) => this.logger.warn('cannot restore volume', { volume: m.name, error: errorMessage(err) }),
      );
    }
    this.mounted.set(c.id, names);
  }

  /** Volume name → ids of the containers referencing it (for VolumeService.setUsers at start-up). */
  static users(containers: readonly Container[]): Map<string, string[]> {
    const users = new Map<string, string[]>();
    for (const c of containers) {
      for (const m of c.mounts ?? []) {
        if (m.type !== 'volume' || m.name === undefined) continue;
        users.set(m.name, [...(users.get(m.name) ?? []), c.id]);
      }
    }
    return users;
  }
}
