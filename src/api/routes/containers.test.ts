import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../../../test/helpers/daemon';
import type { ContainerInspectWire, ContainerSummaryWire, SystemInfo } from '../../wire';
import { encodeFrame } from '../streams/stdcopy';
import { startTestApi, type TestApi } from '../testing/test-api';
import { fixedNanoTime, validateDetachKeys } from './containers';

/** The create body the docker CLI v28 sends for `docker create busybox echo hi` (captured). */
const CLI_BODY = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: true,
  AttachStderr: true,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: ['echo', 'hi'],
  Image: 'busybox',
  Volumes: {},
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: {},
  HostConfig: {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'default',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    Isolation: '',
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 0,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  },
  NetworkingConfig: {
    EndpointsConfig: {
      default: {
        IPAMConfig: null,
        Links: null,
        Aliases: null,
        MacAddress: '',
        DriverOpts: null,
        GwPriority: 0,
        NetworkID: '',
        EndpointID: '',
        Gateway: '',
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        DNSNames: null,
      },
    },
  },
};

/** Reads a raw socket until it ends (or `until` matches), with a timeout. */
function readAll(socket: Socket, until?: (buf: Buffer) => boolean, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => reject(new Error(`timeout; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`)),
      timeoutMs,
    );
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      if (until?.(Buffer.concat(chunks))) done();
    };
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('close', done);
  });
}

function rawConnect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

const HEAD_END = Buffer.from('\r\n\r\n');
const hasHead = (b: Buffer) => b.indexOf(HEAD_END) >= 0;
function splitHead(b: Buffer): { head: string; body: Buffer } {
  const i = b.indexOf(HEAD_END);
  return { head: b.subarray(0, i + 4).toString('latin1'), body: b.subarray(i + 4) };
}

describe('container routes', () => {
  let api: TestApi;
  const req = (method: string, p: string, body?: string | Buffer | object) => rawRequest(api.socket, method, p, body);
  const create = async (body: object = { Image: 'busybox' }, name?: string): Promise<string> => {
    const r = await req('POST', `/v1.44/containers/create${name ? `?name=${name}` : ''}`, body);
    assert.equal(r.status, 201, r.text);
    return r.json<{ Id: string }>().Id;
  };
  before(async () => {
    api = await startTestApi();
    api.images.add({ tags: ['busybox:latest'] });
  });
  after(async () => {
    await api.close();
  });

  describe('create', () => {
    it('takes the CLI body, normalizes it and answers 201 {Id, Warnings}', async () => {
      const r = await req('POST', '/v1.44/containers/create?name=first', CLI_BODY);
      assert.equal(r.status, 201, r.text);
      const answer = r.json<{ Id: string; Warnings: string[] }>();
      assert.match(answer.Id, /^[0-9a-f]{64}$/);
      assert.deepEqual(answer.Warnings, []);
      const call = api.containers.calls.filter((c) => c[0] === 'create').at(-1)?.[1] as {
        name: string;
        config: { cmd: string[]; image: string; env: string[]; attachStdout: boolean };
        hostConfig: {
          networkMode: string;
          logConfig: unknown;
          consoleSize: unknown;
          resources: { pidsLimit: number; memorySwappiness?: number };
          restartPolicy: unknown;
        };
        networkingConfig: { EndpointsConfig: Record<string, unknown> };
      };
      assert.equal(call.name, 'first');
      assert.deepEqual(call.config.cmd, ['echo', 'hi']);
      assert.equal(call.config.image, 'busybox');
      assert.deepEqual(call.config.env, []);
      assert.equal(call.config.attachStdout, true);
      assert.equal(call.hostConfig.networkMode, 'bridge');
      assert.deepEqual(call.hostConfig.logConfig, { type: 'json-file', config: {} });
      assert.equal(call.hostConfig.consoleSize, undefined);
      assert.equal(call.hostConfig.resources.pidsLimit, 0);
      assert.equal(call.hostConfig.resources.memorySwappiness, undefined);
      assert.deepEqual(call.hostConfig.restartPolicy, { name: 'no', maximumRetryCount: 0 });
      assert.deepEqual(Object.keys(call.networkingConfig.EndpointsConfig), ['bridge']);
    });

    it('fills defaults for a body without HostConfig (docker-py, dockerode)', async () => {
      await create({ Image: 'busybox', Cmd: 'true', HostConfig: null });
      const call = api.containers.calls.filter((c) => c[0] === 'create').at(-1)?.[1] as {
        config: { cmd: string[] };
        hostConfig: { networkMode: string; capAdd: string[]; binds: string[] };
      };
      assert.deepEqual(call.config.cmd, ['true']);
      assert.equal(call.hostConfig.networkMode, 'bridge');
      assert.deepEqual(call.hostConfig.binds, []);
    });

    it('normalizes capabilities, PidsLimit and ConsoleSize', async () => {
      await create({
        Image: 'busybox',
        HostConfig: {
          CapAdd: ['net_admin', 'CAP_NET_ADMIN', 'ALL'],
          CapDrop: ['mknod'],
          PidsLimit: -1,
          ConsoleSize: [24, 80],
        },
      });
      const call = api.containers.calls.filter((c) => c[0] === 'create').at(-1)?.[1] as {
        hostConfig: { capAdd: string[]; capDrop: string[]; consoleSize: unknown; resources: { pidsLimit: number } };
      };
      assert.deepEqual(call.hostConfig.capAdd, ['CAP_NET_ADMIN', 'ALL']);
      assert.deepEqual(call.hostConfig.capDrop, ['CAP_MKNOD']);
      assert.deepEqual(call.hostConfig.consoleSize, [24, 80]);
      assert.equal(call.hostConfig.resources.pidsLimit, 0);
    });

    it('keeps NetworkMode none and host as given', async () => {
      const id = await create({ Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
      const i = (await req('GET', `/containers/${id}/json`)).json<{
        HostConfig: { NetworkMode: string };
        NetworkSettings: { Networks: Record<string, unknown> };
      }>();
      assert.equal(i.HostConfig.NetworkMode, 'none');
      assert.deepEqual(Object.keys(i.NetworkSettings.Networks), ['none']);
    });

    it('refuses bad input with 400 and Docker-like messages', async () => {
      const bad = async (body: unknown, pattern: RegExp, query = '') => {
        const r = await req('POST', `/v1.44/containers/create${query}`, body as object);
        assert.equal(r.status, 400, r.text);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.match(r.json<{ message: string }>().message, pattern);
      };
      await bad(
        { Image: 'busybox' },
        /Invalid container name \(x\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/,
        '?name=x',
      );
      await bad({ Image: 'busybox' }, /Invalid container name/, '?name=a%20b');
      await bad(
        { Image: 'busybox', HostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1' } } },
        /HostConfig.Sysctls is not supported/,
      );
      await bad({ Image: 'busybox', HostConfig: { Mounts: { Type: 'volume' } } }, /HostConfig.Mounts must be an array/);
      await bad(
        { Image: 'busybox', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } },
        /AutoRemove/,
      );
      await bad({ Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, /invalid restart policy/);
      await bad({ Image: 'busybox', HostConfig: { LogConfig: { Type: 'syslog' } } }, /no log driver named 'syslog'/);
      await bad({ Image: 'busybox', WorkingDir: 'rel' }, /needs to be an absolute path/);
      await bad({ Image: 'busybox', Env: 'A=b' }, /invalid Env/);
      await bad(undefined, /config cannot be empty/);
      const notJson = await req('POST', '/containers/create', '{');
      assert.equal(notJson.status, 400);
    });

    it('answers 404 No such image (the CLI then pulls) and 409 for a name in use', async () => {
      const r = await req('POST', '/v1.44/containers/create', { Image: 'nope' });
      assert.equal(r.status, 404);
      assert.equal(r.json<{ message: string }>().message, 'No such image: nope:latest');
      const id = await create({ Image: 'busybox' }, 'taken');
      const c = await req('POST', '/v1.44/containers/create?name=taken', { Image: 'busybox' });
      assert.equal(c.status, 409);
      assert.equal(
        c.json<{ message: string }>().message,
        `Conflict. The container name "/taken" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    });
  });

  describe('inspect and list', () => {
    it('inspects with every section present', async () => {
      const id = await create(
        { Image: 'busybox', Cmd: ['echo', 'a b'], Labels: { k: 'v' }, ExposedPorts: { '80': {} } },
        'insp',
      );
      const r = await req('GET', '/v1.44/containers/insp/json');
      assert.equal(r.status, 200);
      const i = r.json<ContainerInspectWire>();
      assert.equal(i.Id, id);
      assert.equal(i.Name, '/insp');
      assert.equal(i.Path, 'echo');
      assert.deepEqual(i.Args, ['a b']);
      assert.equal(i.Platform, 'linux');
      assert.equal(i.Driver, 'overlay2');
      assert.equal(i.State.Status, 'created');
      assert.equal(i.State.Running, false);
      assert.equal(i.State.StartedAt, '0001-01-01T00:00:00Z');
      assert.equal(i.Config.Image, 'busybox');
      assert.equal(i.Config.Tty, false);
      assert.deepEqual(i.Config.Labels, { k: 'v' });
      assert.deepEqual(i.Config.ExposedPorts, { '80/tcp': {} });
      assert.deepEqual(i.HostConfig.LogConfig, { Type: 'json-file', Config: {} });
      assert.equal(i.HostConfig.NetworkMode, 'bridge');
      assert.equal(i.HostConfig.AutoRemove, false);
      assert.equal(i.HostConfig.PidsLimit, null);
      assert.deepEqual(Object.keys(i.NetworkSettings.Networks), ['bridge']);
      assert.equal(i.NetworkSettings.Networks.bridge?.IPAddress, '');
      assert.deepEqual(i.NetworkSettings.Ports, { '80/tcp': null });
      assert.deepEqual(i.Mounts, []);
      assert.equal(i.GraphDriver.Name, 'overlay2');
      assert.equal(i.SizeRw, undefined);
      const sized = (await req('GET', `/containers/${id.slice(0, 12)}/json?size=1`)).json<Record<string, unknown>>();
      assert.equal(sized.SizeRw, 12);
      assert.equal(sized.SizeRootFs, 3456);
      const missing = await req('GET', '/v1.44/containers/nosuch/json');
      assert.equal(missing.status, 404);
      assert.equal(missing.json<{ message: string }>().message, 'No such container: nosuch');
    });

    it('lists Docker summaries: running only by default, all with all=1', async () => {
      const id = await create({ Image: 'busybox', Cmd: ['sh', '-c', 'echo hi'], Labels: { app: 'x' } }, 'listed');
      let r = await req('GET', '/v1.44/containers/json');
      assert.ok(!r.json<Array<{ Id: string }>>().some((c) => c.Id === id));
      r = await req('GET', '/v1.44/containers/json?all=1');
      const s = r.json<ContainerSummaryWire[]>().find((c) => c.Id === id);
      assert.ok(s);
      assert.deepEqual(s.Names, ['/listed']);
      assert.equal(s.Image, 'busybox');
      assert.match(s.ImageID, /^sha256:/);
      assert.equal(s.Command, "sh -c 'echo hi'");
      assert.equal(typeof s.Created, 'number');
      assert.deepEqual(s.Ports, []);
      assert.deepEqual(s.Labels, { app: 'x' });
      assert.equal(s.State, 'created');
      assert.equal(s.Status, 'Created');
      assert.deepEqual(s.HostConfig, { NetworkMode: 'bridge' });
      assert.deepEqual(Object.keys(s.NetworkSettings.Networks), ['bridge']);
      assert.deepEqual(s.Mounts, []);
      assert.equal(s.SizeRw, undefined);
      await req('POST', `/containers/${id}/start`);
      r = await req('GET', `/v1.44/containers/json?size=1&filters=${encodeURIComponent('{"name":{"listed":true}}')}`);
      const running = r.json<ContainerSummaryWire[]>();
      assert.equal(running.length, 1);
      assert.match(running[0]?.Status ?? '', /^Up (Less than a second|\d+ seconds?)$/);
      assert.equal(running[0]?.SizeRw, 12);
      api.containers.exit(id, 3);
      r = await req('GET', '/containers/json?limit=1');
      const last = r.json<ContainerSummaryWire[]>();
      assert.equal(last.length, 1, 'limit implies all');
      const after = (await req('GET', '/containers/json?all=1'))
        .json<ContainerSummaryWire[]>()
        .find((c) => c.Id === id);
      assert.match(after?.Status ?? '', /^Exited \(3\) (Less than a second|\d+ seconds?) ago$/);
      assert.equal((await req('GET', '/containers/json?limit=x')).status, 400);
    });
  });

  describe('lifecycle', () => {
    it('starts (204, then 304), stops (204, then 304), restarts, kills and removes', async () => {
      const id = await create({ Image: 'busybox' }, 'life');
      let r = await req('POST', '/v1.44/containers/life/start');
      assert.equal(r.status, 204);
      r = await req('POST', '/v1.44/containers/life/start');
      assert.equal(r.status, 304);
      assert.equal(r.body.length, 0);
      r = await req('POST', '/v1.44/containers/life/stop?t=1&signal=SIGINT');
      assert.equal(r.status, 204);
      assert.deepEqual(api.containers.calls.filter((c) => c[0] === 'stop').at(-1), [
        'stop',
        'life',
        { timeout: 1, signal: 'SIGINT' },
      ]);
      r = await req('POST', '/v1.41/containers/life/stop');
      assert.equal(r.status, 304);
      r = await req('POST', '/v1.41/containers/life/restart?t=0&signal=INT');
      assert.equal(r.status, 204);
      assert.deepEqual(
        api.containers.calls.filter((c) => c[0] === 'restart').at(-1),
        ['restart', 'life', { timeout: 0 }],
        'no signal below 1.42',
      );
      r = await req('POST', '/v1.44/containers/life/stop?t=abc');
      assert.equal(r.status, 400);
      r = await req('POST', '/v1.44/containers/life/kill?signal=NOPE%21');
      assert.equal(r.status, 400);
      r = await req('DELETE', '/v1.44/containers/life');
      assert.equal(r.status, 409);
      assert.match(
        r.json<{ message: string }>().message,
        /container is running: stop the container before removing or force remove/,
      );
      r = await req('POST', '/v1.44/containers/life/kill?signal=KILL');
      assert.equal(r.status, 204);
      r = await req('POST', '/v1.44/containers/life/kill');
      assert.equal(r.status, 409);
      assert.equal(r.json<{ message: string }>().message, `container ${id} is not running`);
      r = await req('DELETE', '/v1.44/containers/life?force=1&v=1');
      assert.equal(r.status, 204);
      r = await req('DELETE', '/v1.44/containers/life');
      assert.equal(r.status, 404);
    });

    it('maps start failures as moby: 400 for a missing or unusable command, 500 otherwise', async () => {
      api.containers.startFailure = (c) =>
        c.path === 'nosuch'
          ? { message: 'exec: "nosuch": executable file not found in $PATH', exitCode: 127 }
          : c.path === '/etc'
            ? { message: 'exec: "/etc": permission denied', exitCode: 126 }
            : c.path === 'boom'
              ? { message: 'something broke', exitCode: 125 }
              : undefined;
      try {
        const a = await create({ Image: 'busybox', Cmd: ['nosuch'] });
        let r = await req('POST', `/containers/${a}/start`);
        assert.equal(r.status, 400);
        assert.match(r.json<{ message: string }>().message, /executable file not found in \$PATH/);
        const b = await create({ Image: 'busybox', Cmd: ['/etc'] });
        r = await req('POST', `/containers/${b}/start`);
        assert.equal(r.status, 400);
        const c = await create({ Image: 'busybox', Cmd: ['boom'] });
        r = await req('POST', `/containers/${c}/start`);
        assert.equal(r.status, 500);
        assert.equal(r.json<{ message: string }>().message, 'something broke');
      } finally {
        api.containers.startFailure = undefined;
      }
    });

    it('resizes a running container (200); 409 when not running, 404 when missing, 400 for bad sizes', async () => {
      const id = await create();
      assert.equal((await req('POST', `/containers/${id}/resize?h=24&w=80`)).status, 409);
      await req('POST', `/containers/${id}/start`);
      assert.equal((await req('POST', `/containers/${id}/resize?h=24&w=80`)).status, 200);
      assert.deepEqual(api.containers.calls.filter((c) => c[0] === 'resize').at(-1), [
        'resize',
        id,
        { height: 24, width: 80 },
      ]);
      assert.equal((await req('POST', `/containers/${id}/resize?h=-1&w=80`)).status, 400);
      assert.equal((await req('POST', `/containers/${id}/resize?h=70000&w=80`)).status, 400);
      assert.equal((await req('POST', '/containers/nosuch/resize?h=24&w=80')).status, 404);
      assert.equal((await req('POST', `/containers/${id}/resize?h=x&w=80`)).status, 400);
    });

    it('prunes stopped containers and counts containers in /info', async () => {
      const running = await create();
      await req('POST', `/containers/${running}/start`);
      const info = (await req('GET', '/info')).json<SystemInfo>();
      assert.ok(info.ContainersRunning >= 1);
      assert.equal(info.Containers, info.ContainersRunning + info.ContainersPaused + info.ContainersStopped);
      const r = await req('POST', '/v1.44/containers/prune');
      assert.equal(r.status, 200);
      const report = r.json<{ ContainersDeleted: string[]; SpaceReclaimed: number }>();
      assert.ok(report.ContainersDeleted.length > 0);
      assert.ok(!report.ContainersDeleted.includes(running));
      assert.equal(typeof report.SpaceReclaimed, 'number');
      assert.equal(
        (await req('POST', `/containers/prune?filters=${encodeURIComponent('{"dangling":["true"]}')}`)).status,
        400,
      );
      await req('DELETE', `/containers/${running}?force=1`);
    });
  });

  describe('wait', () => {
    it('flushes the headers at once and sends the body when the container exits', async () => {
      const id = await create();
      await req('POST', `/containers/${id}/start`);
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const r = httpRequest(
          {
            socketPath: api.socket,
            method: 'POST',
            path: `/v1.44/containers/${id}/wait?condition=next-exit`,
            agent: false,
          },
          resolve,
        );
        r.on('error', reject);
        r.end();
      });
      // The headers arrived while the container still runs.
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(
        (await req('GET', `/containers/${id}/json`)).json<{ State: { Running: boolean } }>().State.Running,
        true,
      );
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      const ended = new Promise((r) => res.once('end', r));
      api.containers.exit(id, 3);
      await ended;
      assert.equal(Buffer.concat(body).toString(), '{"StatusCode":3}\n');
    });

    it('reports a wait error and answers at once for not-running', async () => {
      api.containers.startFailure = () => ({ message: 'exec: "x": executable file not found in $PATH', exitCode: 127 });
      try {
        const id = await create({ Image: 'busybox', HostConfig: { AutoRemove: true } });
        const waiting = req('POST', `/containers/${id}/wait?condition=removed`);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal((await req('POST', `/containers/${id}/start`)).status, 400);
        const w = await waiting;
        assert.equal(w.status, 200);
        assert.deepEqual(w.json(), {
          StatusCode: 127,
          Error: { Message: 'exec: "x": executable file not found in $PATH' },
        });
      } finally {
        api.containers.startFailure = undefined;
      }
      const created = await create();
      const now = await req('POST', `/containers/${created}/wait`);
      assert.equal(now.text, '{"StatusCode":0}\n');
    });

    it('refuses a bad condition (400) and a missing container (404) before the headers', async () => {
      const id = await create();
      const bad = await req('POST', `/containers/${id}/wait?condition=whenever`);
      assert.equal(bad.status, 400);
      assert.equal(bad.json<{ message: string }>().message, 'invalid condition: "whenever"');
      const missing = await req('POST', '/containers/nosuch/wait');
      assert.equal(missing.status, 404);
    });

    it('stops waiting when the client goes away', async () => {
      const id = await create();
      await req('POST', `/containers/${id}/start`);
      const slot = api.containers.slots.get(id);
      await new Promise<void>((resolve, reject) => {
        const r = httpRequest(
          { socketPath: api.socket, method: 'POST', path: `/containers/${id}/wait?condition=next-exit`, agent: false },
          () => {
            assert.equal(slot?.exitWaiters.length, 1);
            r.destroy();
            resolve();
          },
        );
        r.on('error', () => {});
        r.on('error', reject);
        r.end();
      });
      for (let i = 0; i < 50 && (slot?.exitWaiters.length ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(slot?.exitWaiters.length, 0);
      await req('DELETE', `/containers/${id}?force=1`);
    });
  });

  describe('logs', () => {
    it('needs a stream (400) and a container (404)', async () => {
      const id = await create();
      const r = await req('GET', `/containers/${id}/logs`);
      assert.equal(r.status, 400);
      assert.equal(r.json<{ message: string }>().message, 'Bad parameters: you must choose at least one stream');
      assert.equal((await req('GET', '/containers/nosuch/logs?stdout=1')).status, 404);
      assert.equal((await req('GET', `/containers/${id}/logs?stdout=1&since=yesterday`)).status, 400);
    });

    it('sends frames without a TTY, timestamps with nine digits, the right content type per version', async () => {
      const id = await create();
      await req('POST', `/containers/${id}/start`);
      api.containers.emit(id, 'stdout', 'hi\n', '2024-01-02T03:04:05.5Z');
      api.containers.emit(id, 'stderr', 'oops\n', '2024-01-02T03:04:06.123456789Z');
      let r = await req('GET', `/v1.44/containers/${id}/logs?stdout=1&stderr=1`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
      assert.deepEqual(
        r.body,
        Buffer.concat([encodeFrame('stdout', Buffer.from('hi\n')), encodeFrame('stderr', Buffer.from('oops\n'))]),
      );
      r = await req('GET', `/v1.41/containers/${id}/logs?stderr=1&timestamps=1`);
      assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
      assert.deepEqual(r.body, encodeFrame('stderr', Buffer.from('2024-01-02T03:04:06.123456789Z oops\n')));
      r = await req('GET', `/containers/${id}/logs?stdout=1&timestamps=1&tail=5`);
      assert.deepEqual(r.body, encodeFrame('stdout', Buffer.from('2024-01-02T03:04:05.500000000Z hi\n')));
      const call = api.containers.calls.filter((c) => c[0] === 'logs').at(-1)?.[2] as { tail: number };
      assert.equal(call.tail, 5);
      r = await req('GET', `/containers/${id}/logs?stdout=1&stderr=1&since=1704164645.9&until=1704164700`);
      assert.deepEqual(r.body, encodeFrame('stderr', Buffer.from('oops\n')));
      await req('DELETE', `/containers/${id}?force=1`);
    });

    it('sends raw bytes with a TTY and follows a running container until it exits', async () => {
      const id = await create({ Image: 'busybox', Tty: true });
      await req('POST', `/containers/${id}/start`);
      api.containers.emit(id, 'stdout', 'one\r\n');
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const r = httpRequest(
          {
            socketPath: api.socket,
            method: 'GET',
            path: `/v1.44/containers/${id}/logs?stdout=1&stderr=1&follow=1`,
            agent: false,
          },
          resolve,
        );
        r.on('error', reject);
        r.end();
      });
      assert.equal(res.headers['content-type'], 'application/vnd.docker.raw-stream');
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise((r) => res.once('end', r));
      await new Promise((r) => setTimeout(r, 30));
      api.containers.emit(id, 'stdout', 'two\r\n');
      await new Promise((r) => setTimeout(r, 30));
      api.containers.exit(id, 0);
      await ended;
      assert.equal(Buffer.concat(chunks).toString(), 'one\r\ntwo\r\n');
    });
  });

  describe('attach', () => {
    const attachRequest = (id: string, query: string, extra = '') =>
      `POST /v1.44/containers/${id}/attach?${query} HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: text/plain\r\n${extra}\r\n`;

    it('answers 101 UPGRADED, keeps streaming after the client half-closes, closes at the end', async () => {
      const id = await create();
      await req('POST', `/containers/${id}/start`);
      const s = await rawConnect(api.socket);
      s.write(attachRequest(id, 'stderr=1&stdout=1&stream=1'));
      const first = await readAll(s, hasHead);
      const { head, body } = splitHead(first);
      assert.match(
        head,
        /^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n/,
      );
      assert.equal(body.length, 0);
      // Like the CLI without stdin: CloseWrite() at once. Not a disconnect.
      s.end();
      await new Promise((r) => setTimeout(r, 30));
      const rest = readAll(s);
      api.containers.emit(id, 'stdout', 'hi\n');
      api.containers.emit(id, 'stderr', 'oops\n');
      await new Promise((r) => setTimeout(r, 30));
      api.containers.exit(id, 0);
      const out = await rest;
      assert.equal(
        out.toString('hex'),
        '0100000000000003' +
          Buffer.from('hi\n').toString('hex') +
          '0200000000000005' +
          Buffer.from('oops\n').toString('hex'),
      );
      s.destroy();
    });

    it('forwards stdin when asked and the container has OpenStdin; a JSON body is not stdin', async () => {
      api.containers.echoStdin = true;
      try {
        const id = await create({ Image: 'busybox', OpenStdin: true, StdinOnce: true, AttachStdin: true });
        await req('POST', `/containers/${id}/start`);
        const s = await rawConnect(api.socket);
        const json = '{"hijack":true}';
        // dockerode sends its options as a JSON body; stdin follows in the same packet.
        s.write(
          `${attachRequest(id, 'stdin=1&stdout=1&stream=1', `Content-Length: ${json.length}\r\n`).replace('Content-Type: text/plain', 'Content-Type: application/json')}${json}hello `,
        );
        const first = await readAll(s, hasHead);
        assert.match(splitHead(first).head, /^HTTP\/1\.1 101 UPGRADED/);
        const rest = readAll(s);
        await new Promise((r) => setTimeout(r, 30));
        s.end('world\n');
        const out = Buffer.concat([splitHead(first).body, await rest]);
        const text = out.toString('latin1');
        assert.ok(text.includes('hello '), text);
        assert.ok(text.includes('world\n'), text);
        assert.equal(api.containers.stdinOf(id).toString(), 'hello world\n');
        s.destroy();
      } finally {
        api.containers.echoStdin = false;
      }
    });

    it('sends raw bytes for a TTY container and replays the log with logs=1', async () => {
      const id = await create({ Image: 'busybox', Tty: true });
      await req('POST', `/containers/${id}/start`);
      api.containers.emit(id, 'stdout', 'before\r\n');
      const s = await rawConnect(api.socket);
      s.write(attachRequest(id, 'logs=1&stdout=1&stream=1'));
      const first = await readAll(s, (b) => b.includes(Buffer.from('before\r\n')));
      const { head, body } = splitHead(first);
      assert.match(head, /Content-Type: application\/vnd\.docker\.raw-stream\r\n/);
      assert.equal(body.toString(), 'before\r\n');
      api.containers.exit(id, 0);
      await readAll(s);
      s.destroy();
    });

    it('answers errors on the raw connection: 404, 400 for bad detach keys', async () => {
      const s = await rawConnect(api.socket);
      s.write(attachRequest('nosuch', 'stdout=1&stream=1'));
      const out = (await readAll(s)).toString();
      assert.match(out, /^HTTP\/1\.1 404 Not Found\r\n/);
      assert.match(out, /Content-Type: application\/json\r\n/);
      assert.match(out, /\{"message":"No such container: nosuch"\}\n$/);
      s.destroy();
      const id = await create();
      const t = await rawConnect(api.socket);
      t.write(attachRequest(id, 'detachKeys=ctrl-%3F%3F&stdout=1&stream=1'));
      assert.match((await readAll(t)).toString(), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Invalid detach keys/);
      t.destroy();
      const u = await rawConnect(api.socket);
      u.write(attachRequest(id, 'stdout=1').replace('/v1.44/', '/v9.99/'));
      assert.match((await readAll(u)).toString(), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*too new/);
      u.destroy();
    });

    it('without Upgrade: 200 and a raw stream (no chunking) until the connection closes', async () => {
      const id = await create();
      await req('POST', `/containers/${id}/start`);
      const s = await rawConnect(api.socket);
      s.write(`POST /v1.44/containers/${id}/attach?stdout=1&stream=1 HTTP/1.1\r\nHost: x\r\n\r\n`);
      const first = await readAll(s, hasHead);
      const { head } = splitHead(first);
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /Content-Type: application\/vnd\.docker\.multiplexed-stream\r\n/);
      assert.doesNotMatch(head, /Transfer-Encoding/i);
      const rest = readAll(s);
      api.containers.emit(id, 'stdout', 'x\n');
      await new Promise((r) => setTimeout(r, 20));
      api.containers.exit(id, 0);
      const out = Buffer.concat([splitHead(first).body, await rest]);
      assert.deepEqual(out, encodeFrame('stdout', Buffer.from('x\n')));
      s.destroy();
    });
  });
});

describe('container route helpers', () => {
  it('formats log timestamps with nine fractional digits', () => {
    assert.equal(fixedNanoTime('2024-01-02T03:04:05Z'), '2024-01-02T03:04:05.000000000Z');
    assert.equal(fixedNanoTime('2024-01-02T03:04:05.12Z'), '2024-01-02T03:04:05.120000000Z');
    assert.equal(fixedNanoTime('2024-01-02T03:04:05.123456789+02:00'), '2024-01-02T03:04:05.123456789+02:00');
  });

  it('validates detach keys', () => {
    validateDetachKeys('ctrl-p,ctrl-q');
    validateDetachKeys('a,ctrl-@,ctrl-_');
    assert.throws(() => validateDetachKeys('ctrl-??'), /Invalid detach keys/);
    assert.throws(() => validateDetachKeys('shift-a'), /Invalid detach keys/);
  });
});
