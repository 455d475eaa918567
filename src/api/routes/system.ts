/** `/_ping`, `/version`, `/info`, `OPTIONS *`. */
import type { ImageService } from '../../engine/images/types';
import type { SystemInfo, SystemVersion } from '../../wire';
import { API_VERSION, MIN_API_VERSION } from '../../wire';
import type { RequestContext } from '../context';
import { sendJson } from '../errors';
import type { Router } from '../router';

/** Facts about the machine, gathered by the daemon (camelCase, engine side). */
export interface HostFacts {
  nCpu: number;
  memTotal: number;
  kernelVersion: string;
  operatingSystem: string;
  osVersion: string;
  /** uname -m, e.g. 'x86_64'. */
  architecture: string;
  hostname: string;
  cgroupVersion: '1' | '2';
  cgroupDriver: 'cgroupfs' | 'systemd';
  memoryLimit: boolean;
  swapLimit: boolean;
  cpuCfsPeriod: boolean;
  cpuCfsQuota: boolean;
  cpuShares: boolean;
  cpuSet: boolean;
  pidsLimit: boolean;
  oomKillDisable: boolean;
  ipv4Forwarding: boolean;
  openFds: number;
  warnings: string[];
}

export interface SystemRouteDeps {
  serverVersion: string;
  gitCommit: string;
  /** The engine's persistent ID. */
  engineId: string;
  dataRoot: string;
  storageDriver: string;
  debug: boolean;
  hostFacts(): Promise<HostFacts>;
  images: Pick<ImageService, 'list'>;
  /** The storage driver's status lines (`docker info` prints them under Storage Driver). */
  driverStatus?(): Promise<Array<[string, string]>>;
  /** Container counts, once there are containers. */
  containerCounts?(): Promise<{ running: number; paused: number; stopped: number }>;
}

/** Go's GOARCH for Node's process.arch. */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm: 'arm',
    arm64: 'arm64',
    s390x: 's390x',
    ppc64: 'ppc64le',
  };
  return map[arch] ?? arch;
}

export function registerSystemRoutes(router: Router, deps: SystemRouteDeps): void {
  const ping = (ctx: RequestContext) => {
    const headers = {
      'Builder-Version': '1',
      Swarm: 'inactive',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
    };
    if (ctx.req.method === 'HEAD') {
      ctx.res.writeHead(200, { ...headers, 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(200, { ...headers, 'Content-Length': '2' });
    ctx.res.end('OK');
  };
  router.get('/_ping', ping);
  router.head('/_ping', ping);

  router.get('/version', async (ctx) => {
    const facts = await deps.hostFacts();
    const buildTime = '';
    const body: SystemVersion = {
      Platform: { Name: 'berth' },
      Components: [
        {
          Name: 'Engine',
          Version: deps.serverVersion,
          Details: {
            ApiVersion: API_VERSION,
            Arch: goArch(),
            BuildTime: buildTime,
            Experimental: 'false',
            GitCommit: deps.gitCommit,
            GoVersion: `node${process.versions.node}`,
            KernelVersion: facts.kernelVersion,
            MinAPIVersion: MIN_API_VERSION,
            Os: 'linux',
          },
        },
      ],
      Version: deps.serverVersion,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: deps.gitCommit,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: facts.kernelVersion,
      BuildTime: buildTime,
    };
    sendJson(ctx.res, 200, body);
  });

  router.get('/info', async (ctx) => {
    const [facts, images, counts, driverStatus] = await Promise.all([
      deps.hostFacts(),
      deps.images.list({ all: true, filters: {} }),
      deps.containerCounts?.() ?? Promise.resolve({ running: 0, paused: 0, stopped: 0 }),
      deps.driverStatus?.() ?? Promise.resolve([] as Array<[string, string]>),
    ]);
    const body: SystemInfo = {
      ID: deps.engineId,
      Containers: counts.running + counts.paused + counts.stopped,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: images.length,
      Driver: deps.storageDriver,
      DriverStatus: driverStatus,
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: facts.memoryLimit,
      SwapLimit: facts.swapLimit,
      CpuCfsPeriod: facts.cpuCfsPeriod,
      CpuCfsQuota: facts.cpuCfsQuota,
      CPUShares: facts.cpuShares,
      CPUSet: facts.cpuSet,
      PidsLimit: facts.pidsLimit,
      IPv4Forwarding: facts.ipv4Forwarding,
      Debug: deps.debug,
      NFd: facts.openFds,
      OomKillDisable: facts.oomKillDisable,
      NGoroutines: 1,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: facts.cgroupDriver,
      CgroupVersion: facts.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: facts.kernelVersion,
      OperatingSystem: facts.operatingSystem,
      OSVersion: facts.osVersion,
      OSType: 'linux',
      Architecture: facts.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        InsecureRegistryCIDRs: ['::1/128', '127.0.0.0/8'],
        IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
        Mirrors: [],
      },
      NCPU: facts.nCpu,
      MemTotal: facts.memTotal,
      GenericResources: null,
      DockerRootDir: deps.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: facts.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: deps.serverVersion,
      Runtimes: { berth: { path: 'berth-runtime' } },
      DefaultRuntime: 'berth',
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
      LiveRestoreEnabled: false,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: [],
      Warnings: [...facts.warnings],
    };
    sendJson(ctx.res, 200, body);
  });

  // moby answers OPTIONS on any path (CORS pre-flight).
  router.add('OPTIONS', '/{anyroute:.*}', (ctx) => {
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });
}
