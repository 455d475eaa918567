/**
 * `--mount` and the endpoint flags of `run`/`create` into the create request,
 * as the docker CLI builds them (cli/opts/mount.go, container/opts.go).
 */
import { CliExit } from '../command';

/** One CSV record (`"a,b",c`) as Go's encoding/csv splits it. */
function csv(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

function truthy(key: string, value: string | undefined): boolean {
  if (value === undefined || value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new CliExit(`invalid argument "${value}" for "--mount" flag: invalid value for ${key}: ${value}`, 125);
}

/** A `--mount` value → `HostConfig.Mounts[]` entry. */
export function mountFlag(value: string, cwd = process.cwd()): Record<string, unknown> {
  const m: Record<string, unknown> = { Type: 'volume' };
  const bind: Record<string, unknown> = {};
  const vol: Record<string, unknown> = {};
  const tmpfs: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const driverOpts: Record<string, string> = {};
  for (const field of csv(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    switch (key) {
      case 'type':
        m.Type = val;
        break;
      case 'source':
      case 'src':
        m.Source = val?.startsWith('.') ? `${cwd}/${val}` : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = truthy(key, val);
        break;
      case 'consistency':
        m.Consistency = val;
        break;
      case 'bind-propagation':
        bind.Propagation = val;
        break;
      case 'bind-nonrecursive':
        bind.NonRecursive = truthy(key, val);
        break;
      case 'volume-nocopy':
        vol.NoCopy = truthy(key, val);
        break;
      case 'volume-subpath':
        vol.Subpath = val;
        break;
      case 'volume-driver':
        vol.DriverConfig = { ...((vol.DriverConfig as object) ?? {}), Name: val };
        break;
      case 'volume-label': {
        const [k = '', v = ''] = (val ?? '').split('=');
        labels[k] = v;
        break;
      }
      case 'volume-opt': {
        const at = (val ?? '').indexOf('=');
        if (at < 0)
          throw new CliExit(`invalid argument "${value}" for "--mount" flag: invalid volume-opt: ${val}`, 125);
        driverOpts[(val ?? '').slice(0, at)] = (val ?? '').slice(at + 1);
        break;
      }
      case 'tmpfs-size':
        tmpfs.SizeBytes = Number(val);
        break;
      case 'tmpfs-mode':
        tmpfs.Mode = Number.parseInt(val ?? '', 8);
        break;
      default:
        throw new CliExit(`invalid argument "${value}" for "--mount" flag: unexpected key '${key}' in '${field}'`, 125);
    }
  }
  if (Object.keys(labels).length > 0) vol.Labels = labels;
  if (Object.keys(driverOpts).length > 0)
    vol.DriverConfig = { ...((vol.DriverConfig as object) ?? {}), Options: driverOpts };
  if (Object.keys(bind).length > 0) m.BindOptions = bind;
  if (Object.keys(vol).length > 0) m.VolumeOptions = vol;
  if (Object.keys(tmpfs).length > 0) m.TmpfsOptions = tmpfs;
  return m;
}

type Flags = { [name: string]: boolean | string | string[] | number };

/** `NetworkingConfig.EndpointsConfig` from --network, --network-alias, --ip, --mac-address. */
export function endpointsConfig(flags: Flags, network: string): Record<string, object> {
  const aliases = (flags['network-alias'] as string[] | undefined) ?? [];
  const ip = (flags.ip as string | undefined) ?? '';
  const mac = (flags['mac-address'] as string | undefined) ?? '';
  if (network === 'host' || network === 'none' || network.startsWith('container:')) {
    if (aliases.length > 0 || ip !== '' || mac !== '') {
      throw new CliExit('conflicting options: networking options cannot be used with this network mode', 125);
    }
    return {};
  }
  const ep: Record<string, unknown> = {};
  if (aliases.length > 0) ep.Aliases = aliases;
  if (ip !== '') ep.IPAMConfig = { IPv4Address: ip };
  if (mac !== '') ep.MacAddress = mac;
  return { [network]: ep };
}
