/** Where the daemon is: `-H` flag, then BERTH_HOST, then DOCKER_HOST, then the default socket. */
export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export type DaemonAddress =
  | { kind: 'unix'; socketPath: string; display: string }
  | { kind: 'tcp'; hostname: string; port: number; display: string };

export function resolveHost(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const pick = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  return pick(flag) ?? pick(env.BERTH_HOST) ?? pick(env.DOCKER_HOST) ?? DEFAULT_HOST;
}

/** Parses `unix:///path`, `/path`, `tcp://host:port`, `http://host:port`. Throws on anything else. */
export function parseDaemonAddress(host: string): DaemonAddress {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (socketPath === '') throw new Error(`invalid host ${host}: empty socket path`);
    return { kind: 'unix', socketPath, display: host };
  }
  if (host.startsWith('/')) return { kind: 'unix', socketPath: host, display: `unix://${host}` };
  const m = /^(tcp|http):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (m) {
    const hostname = (m[2] ?? '').replace(/^\[|\]$/g, '');
    const port = m[3] !== undefined ? Number(m[3]) : 2375;
    return { kind: 'tcp', hostname, port, display: host };
  }
  throw new Error(`invalid host ${host}: use unix:///path or tcp://host:port`);
}
