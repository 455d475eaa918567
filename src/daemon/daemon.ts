/**
 * The composition root: roots, lock, recovery, API server, shutdown.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ApiServer, createApiServer, parseListenAddress, socketAnswers } from '../api';
import { errnoCode, errorMessage, invalidArgument } from '../common/errors';
import type { Logger } from '../common/log';
import type { ContainerService } from '../engine/containers';
import { BERTH_VERSION } from '../wire';
import type { DaemonConfig } from './config';
import type { Engine, EngineFactory } from './engine';
import { PidLock } from './lock';
import { hostFactsProvider, openFileLimits, overlayDriverStatus } from './system-facts';

export interface DaemonOptions {
  /** Builds the engine over the data root (main.ts passes createLocalEngine; tests a fake). */
  createEngine: EngineFactory;
  /** Grace period for requests in flight at shutdown (ms). */
  shutdownGraceMs?: number;
}

/** The open-file limit dockerd raises itself to. */
const WANTED_NOFILE = 1_048_576;

export class Daemon {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: DaemonConfig,
    private readonly logger: Logger,
    private readonly locks: PidLock[],
    private readonly engine: Engine,
    private readonly api: ApiServer,
  ) {}

  static async start(config: DaemonConfig, logger: Logger, options: DaemonOptions): Promise<Daemon> {
    await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
    await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
    await mkdir(path.dirname(config.pidfile), { recursive: true, mode: 0o711 });
    const addresses = config.hosts.map(parseListenAddress);

    const locks = [
      new PidLock(path.join(config.dataRoot, 'berthd.lock'), `the data root ${config.dataRoot}`),
      new PidLock(config.pidfile, `the pid file ${config.pidfile}`),
    ];
    const taken: PidLock[] = [];
    let engine: Engine | undefined;
    let api: ApiServer | undefined;
    try {
      for (const lock of locks) {
        lock.acquire();
        taken.push(lock);
      }
      // A start that is refused touches nothing: check the sockets before the engine sets up
      // storage, cgroups and networks (the listener checks again when it binds).
      for (const address of addresses) {
        if (address.kind === 'unix' && (await socketAnswers(address.path))) {
          throw invalidArgument(`another berthd is listening on ${address.path}`, { code: 'address-in-use' });
        }
      }
      await checkPrivileges(logger);
      const engineId = await loadEngineId(config.dataRoot);
      logger.info('starting berthd', { version: BERTH_VERSION, 'data-root': config.dataRoot, pid: process.pid });
      engine = await options.createEngine({
        dataRoot: config.dataRoot,
        execRoot: config.execRoot,
        logger,
        network: {
          ...(config.bip === undefined ? {} : { bip: config.bip }),
          ...(config.defaultAddressPools === undefined ? {} : { defaultAddressPools: config.defaultAddressPools }),
        },
      });
      const eng = engine;
      const containers = eng.containers;
      api = createApiServer({
        logger: logger.child({ module: 'api' }),
        serverVersion: BERTH_VERSION,
        ...(options.shutdownGraceMs !== undefined ? { shutdownGraceMs: options.shutdownGraceMs } : {}),
        system: {
          gitCommit: 'unknown',
          engineId,
          dataRoot: config.dataRoot,
          storageDriver: eng.storageDriver,
          debug: config.logLevel === 'debug',
          hostFacts: hostFactsProvider(),
          images: eng.images,
          driverStatus: () => overlayDriverStatus(config.dataRoot),
          ...(containers ? { containerCounts: () => containerCounts(containers) } : {}),
        },
        images: {
          images: eng.images,
          storageDriver: eng.storageDriver,
          graphDriverData: (image) => eng.graphDriverData(image),
        },
        ...(containers
          ? {
              containers: {
                containers,
                storageDriver: eng.storageDriver,
                ...(eng.execs ? { execIds: (id: string) => eng.execs?.idsOf(id) ?? null } : {}),
              },
            }
          : {}),
        ...(eng.execs ? { execs: { execs: eng.execs } } : {}),
        ...(eng.files ? { files: { files: eng.files } } : {}),
        ...(eng.events ? { events: eng.events } : {}),
        ...(eng.networking
          ? {
              networks: { networks: eng.networking.networks, endpoints: eng.networking.endpoints },
              volumes: { volumes: eng.networking.volumes },
            }
          : {}),
        df: {
          images: eng.images,
          ...(containers ? { containers } : {}),
          ...(eng.networking ? { volumes: eng.networking.volumes } : {}),
        },
      });
      for (const address of addresses) await api.listen(address);
      logger.info('daemon has completed initialization');
      return new Daemon(config, logger, taken, engine, api);
    } catch (err) {
      await api?.close().catch(() => {});
      await engine?.close().catch(() => {});
      for (const lock of taken.reverse()) lock.release();
      throw err;
    }
  }

  /** Stops accepting, finishes or cuts requests in flight, removes sockets and the pid file. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('processing signal, shutting down');
      await this.api.close().catch((err) => this.logger.error('closing the API failed', { err: errorMessage(err) }));
      await this.engine
        .close()
        .catch((err) => this.logger.error('closing the engine failed', { err: errorMessage(err) }));
      for (const lock of [...this.locks].reverse()) lock.release();
      this.logger.info('daemon shutdown complete');
    })();
    return this.stopping;
  }
}

/** `docker info`'s container counts: running (and restarting), paused, and the rest. */
async function containerCounts(
  containers: ContainerService,
): Promise<{ running: number; paused: number; stopped: number }> {
  const all = await containers.list({ all: true, limit: 0, size: false, filters: {} });
  let running = 0;
  let paused = 0;
  for (const { container } of all) {
    if (container.state.status === 'paused') paused++;
    else if (container.state.status === 'running' || container.state.status === 'restarting') running++;
  }
  return { running, paused, stopped: all.length - running - paused };
}

/** The engine's persistent ID (`docker info` ID), created on first start. */
async function loadEngineId(dataRoot: string): Promise<string> {
  const file = path.join(dataRoot, 'engine-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (id !== '') return id;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
}

/** Warns, without failing, about limits the daemon cannot raise. */
async function checkPrivileges(logger: Logger): Promise<void> {
  if (process.getuid?.() !== 0) logger.warn('berthd is not running as root: containers will not work');
  const limits = openFileLimits();
  if (limits && limits.hard < WANTED_NOFILE) {
    logger.warn('the open file limit is low and cannot be raised (needs CAP_SYS_RESOURCE)', {
      soft: limits.soft,
      hard: limits.hard,
      wanted: WANTED_NOFILE,
    });
  }
  try {
    await writeFile('/proc/self/oom_score_adj', '-500');
  } catch (err) {
    logger.warn('could not lower the daemon oom_score_adj', { err: errnoCode(err) ?? errorMessage(err) });
  }
}
