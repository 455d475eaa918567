/**
 * The contents of the /etc files Docker writes for each container
 * (hostname, hosts, resolv.conf), as pure functions of their inputs.
 */
import { parseExtraHost } from './config';

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

export interface HostsOptions {
  hostname: string;
  domainname: string;
  extraHosts: string[];
  /** With host networking the host's own hosts file is used (plus extra hosts). */
  hostHosts?: string;
}

/**
 * localhost and the IPv6 block, the --add-host entries, then the container's
 * own name on the loopback address (there is no container IP until networks
 * exist).
 */
export function hostsFile(options: HostsOptions): string {
  const extra = options.extraHosts.map((h) => {
    const { host, ip } = parseExtraHost(h);
    return `${ip}\t${host}\n`;
  });
  if (options.hostHosts !== undefined) {
    const base =
      options.hostHosts.endsWith('\n') || options.hostHosts === '' ? options.hostHosts : `${options.hostHosts}\n`;
    return base + extra.join('');
  }
  const lines = [
    '127.0.0.1\tlocalhost\n',
    '::1\tlocalhost ip6-localhost ip6-loopback\n',
    'fe00::\tip6-localnet\n',
    'ff00::\tip6-mcastprefix\n',
    'ff02::1\tip6-allnodes\n',
    'ff02::2\tip6-allrouters\n',
    ...extra,
  ];
  const names =
    options.domainname !== '' ? `${options.hostname}.${options.domainname} ${options.hostname}` : options.hostname;
  lines.push(`127.0.0.1\t${names}\n`);
  return lines.join('');
}

export interface ResolvConfOptions {
  /** The host's /etc/resolv.conf. */
  host: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** Host networking: the host's file as it is (unless overridden). */
  hostNetwork: boolean;
  /** Keep IPv6 nameservers (the container has IPv6). */
  ipv6?: boolean;
}

const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

function isLoopback(ns: string): boolean {
  return /^127\./.test(ns) || ns === '::1' || /^0*:(0*:)*0*:?0*1$/.test(ns);
}

/**
 * Docker's legacy (default bridge) rules: the host's file with loopback
 * nameservers removed (and IPv6 ones without IPv6); Google's resolvers if
 * none remain; --dns/--dns-search/--dns-option replace the host's values.
 */
export function resolvConf(options: ResolvConfOptions): string {
  let nameservers: string[] = [];
  let search: string[] = [];
  let opts: string[] = [];
  const other: string[] = [];
  for (const raw of options.host.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] !== undefined) nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') search = rest;
    else if (key === 'options') opts.push(...rest);
    else other.push(line);
  }
  if (!options.hostNetwork) {
    nameservers = nameservers.filter((ns) => !isLoopback(ns) && (options.ipv6 === true || !ns.includes(':')));
    if (nameservers.length === 0 && options.dns.length === 0) nameservers = [...DEFAULT_DNS];
  }
  if (options.dns.length > 0) nameservers = [...options.dns];
  if (options.dnsSearch.length > 0) search = options.dnsSearch.filter((s) => s !== '.');
  if (options.dnsOptions.length > 0) opts = [...options.dnsOptions];
  const out: string[] = [];
  for (const ns of nameservers) out.push(`nameserver ${ns}`);
  if (search.length > 0) out.push(`search ${search.join(' ')}`);
  if (opts.length > 0) out.push(`options ${opts.join(' ')}`);
  out.push(...other);
  return `${out.join('\n')}\n`;
}

/** systemd-resolved hosts point at 127.0.0.53; Docker reads the real upstreams from this file instead. */
export const RESOLVED_RESOLV_CONF = '/run/systemd/resolve/resolv.conf';

/** True when the host file's only nameserver is systemd-resolved's stub. */
export function usesResolvedStub(host: string): boolean {
  const ns = host
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p[0] === 'nameserver')
    .map((p) => p[1]);
  return ns.length === 1 && ns[0] === '127.0.0.53';
}
