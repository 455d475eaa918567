/**
 * What the container engine hands to the network and volume subsystems at
 * each step of a container's life. The container service calls these hooks
 * with the container's lock held; each hook mutates the container record
 * (networks, ports, mounts), which the service then persists.
 *
 *   create → (start → stop)* → remove
 *
 * `start` runs after the rootfs is mounted and before the task exists; what it
 * returns goes into the runtime request. `stop` runs once the task is gone or
 * failed to start, and must be idempotent (it also runs at removal and after a
 * crash).
 */
import type { ExtraMount, NamespaceMode } from '../runtime/types';
import type { Container, CreateContainerOptions } from './types';

export interface StartAttachments {
  /** Volumes, binds and --mount tmpfs, in order. */
  mounts: ExtraMount[];
  /** The network namespace to join (a prepared named netns); undefined keeps the runtime's choice. */
  net?: NamespaceMode;
}

export interface ContainerAttachments {
  /** Validates and records networks and mounts (creating volumes). `lookup` resolves another container. */
  create(c: Container, options: CreateContainerOptions, lookup: (ref: string) => Container): Promise<void>;
  /** Mounts volumes and prepares the network namespace. Undone by `stop` on failure. */
  start(c: Container, rootfs: string): Promise<StartAttachments>;
  /** Releases what `start` made. Idempotent. */
  stop(c: Container): Promise<void>;
  /** Releases what `create` made; with `volumes`, anonymous volumes are removed too. */
  remove(c: Container, options: { volumes: boolean }): Promise<void>;
}

/** Runs several subsystems' hooks in order (start undone in reverse on failure). */
export function combineAttachments(parts: readonly ContainerAttachments[]): ContainerAttachments {
  return {
    async create(c, options, lookup) {
      const done: ContainerAttachments[] = [];
      try {
        for (const p of parts) {
          await p.create(c, options, lookup);
          done.push(p);
        }
      } catch (err) {
        for (const p of done.reverse()) await p.remove(c, { volumes: true }).catch(() => undefined);
        throw err;
      }
    },
    async start(c, rootfs) {
      const out: StartAttachments = { mounts: [] };
      const done: ContainerAttachments[] = [];
      try {
        for (const p of parts) {
          const r = await p.start(c, rootfs);
          done.push(p);
          out.mounts.push(...r.mounts);
          if (r.net !== undefined) out.net = r.net;
        }
      } catch (err) {
        for (const p of done.reverse()) await p.stop(c).catch(() => undefined);
        throw err;
      }
      return out;
    },
    async stop(c) {
      let first: unknown;
      for (const p of [...parts].reverse()) {
        await p.stop(c).catch((err: unknown) => {
          first ??= err;
        });
      }
      if (first !== undefined) throw first;
    },
    async remove(c, options) {
      let first: unknown;
      for (const p of [...parts].reverse()) {
        await p.remove(c, options).catch((err: unknown) => {
          first ??= err;
        });
      }
      if (first !== undefined) throw first;
    },
  };
}
