/**
 * berth's docker-proxy: a TCP or UDP forwarder inside the daemon, listening on
 * hostIp:hostPort and relaying to containerIp:containerPort. It is what makes a
 * published port reachable at 127.0.0.1 (nat OUTPUT skips loopback) and from a
 * container to its own published port, without route_localnet or hairpin mode.
 * Binding the listening socket is also the port-conflict check.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export type PortProto = 'tcp' | 'udp';

export interface ProxySpec {
  proto: PortProto;
  /** '' or '0.0.0.0' for every IPv4 address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface ProxyOptions {
  /** A UDP client's flow is forgotten after this long without traffic (default 90 s, as docker-proxy). */
  udpIdleMs?: number;
}

export interface UserlandProxy {
  readonly spec: ProxySpec;
  close(): Promise<void>;
}

const anyIp = (ip: string): string => (ip === '' ? '0.0.0.0' : ip);

export async function startProxy(spec: ProxySpec, options: ProxyOptions = {}): Promise<UserlandProxy> {
  return spec.proto === 'tcp' ? startTcp(spec) : startUdp(spec, options.udpIdleMs ?? 90_000);
}

async function startTcp(spec: ProxySpec): Promise<UserlandProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const backend = net.connect({ host: spec.containerIp, port: spec.containerPort, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(backend);
    const done = (): void => {
      sockets.delete(client);
      sockets.delete(backend);
    };
    client.on('close', () => {
      backend.destroy();
      done();
    });
    backend.on('close', () => {
      client.destroy();
      done();
    });
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
    client.pipe(backend);
    backend.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: anyIp(spec.hostIp), port: spec.hostPort, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    spec,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function startUdp(spec: ProxySpec, idleMs: number): Promise<UserlandProxy> {
  const server = dgram.createSocket({ type: 'udp4' });
  interface Flow {
    socket: dgram.Socket;
    timer: NodeJS.Timeout;
  }
  const flows = new Map<string, Flow>();
  const drop = (key: string): void => {
    const flow = flows.get(key);
    if (flow === undefined) return;
    flows.delete(key);
    clearTimeout(flow.timer);
    flow.socket.close();
  };
  server.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (flow === undefined) {
      const socket = dgram.createSocket({ type: 'udp4' });
      socket.on('message', (reply) => {
        server.send(reply, rinfo.port, rinfo.address);
        const f = flows.get(key);
        if (f) f.timer.refresh();
      });
      socket.on('error', () => drop(key));
      flow = { socket, timer: setTimeout(() => drop(key), idleMs) };
      flow.timer.unref();
      flows.set(key, flow);
    } else {
      flow.timer.refresh();
    }
    flow.socket.send(msg, spec.containerPort, spec.containerIp);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind({ address: anyIp(spec.hostIp), port: spec.hostPort, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    spec,
    close: () =>
      new Promise<void>((resolve) => {
        for (const key of [...flows.keys()]) drop(key);
        server.close(() => resolve());
      }),
  };
}

/** True when hostIp:port can be bound for `proto` right now (the socket is closed again). */
export async function isPortFree(proto: PortProto, hostIp: string, port: number): Promise<boolean> {
  try {
    if (proto === 'tcp') {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: anyIp(hostIp), port, exclusive: true }, resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } else {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: anyIp(hostIp), port, exclusive: true }, resolve);
      });
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    return true;
  } catch {
    return false;
  }
}
