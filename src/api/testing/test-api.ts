/** An in-process API server on a unix socket in a test directory, for unit tests. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { testDir } from '../../../test/helpers/names';
import { silentLogger } from '../../common/log';
import { createApiServer } from '../index';
import type { HostFacts } from '../routes/system';
import type { ApiServer } from '../server';
import { FakeContainerService } from './fake-container-service';
import { FakeImageService } from './fake-image-service';

export const FAKE_FACTS: HostFacts = {
  nCpu: 4,
  memTotal: 8 * 1024 * 1024 * 1024,
  kernelVersion: '6.1.0-test',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osVersion: '12',
  architecture: 'x86_64',
  hostname: 'testhost',
  cgroupVersion: '1',
  cgroupDriver: 'cgroupfs',
  memoryLimit: true,
  swapLimit: false,
  cpuCfsPeriod: true,
  cpuCfsQuota: true,
  cpuShares: true,
  cpuSet: true,
  pidsLimit: true,
  oomKillDisable: true,
  ipv4Forwarding: true,
  openFds: 10,
  warnings: ['WARNING: No swap limit support'],
};

export interface TestApi {
  server: ApiServer;
  images: FakeImageService;
  containers: FakeContainerService;
  socket: string;
  dir: string;
  close(): Promise<void>;
}

export async function startTestApi(
  images = new FakeImageService(),
  containers = new FakeContainerService(images),
): Promise<TestApi> {
  const dir = testDir('api');
  const socket = path.join(dir, 'api.sock');
  const server = createApiServer({
    logger: silentLogger,
    serverVersion: '0.0.0-test',
    shutdownGraceMs: 500,
    system: {
      gitCommit: 'test',
      engineId: 'TEST-ID',
      dataRoot: '/var/lib/berth-test',
      storageDriver: 'overlay2',
      debug: false,
      hostFacts: async () => FAKE_FACTS,
      images,
      containerCounts: async () => {
        const all = await containers.list({ all: true, limit: 0, size: false, filters: {} });
        const count = (pred: (s: string) => boolean) => all.filter((c) => pred(c.container.state.status)).length;
        return {
          running: count((s) => s === 'running' || s === 'restarting'),
          paused: count((s) => s === 'paused'),
          stopped: count((s) => s !== 'running' && s !== 'restarting' && s !== 'paused'),
        };
      },
    },
    images: { images, storageDriver: 'overlay2' },
    containers: { containers, storageDriver: 'overlay2' },
  });
  await server.listen({ kind: 'unix', path: socket });
  return {
    server,
    images,
    containers,
    socket,
    dir,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
