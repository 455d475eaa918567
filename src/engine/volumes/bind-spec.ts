/**
 * Mount specifications as Docker parses them (pure; no I/O except the
 * optional existence check of a `--mount type=bind` source):
 *
 *   - `parseBindSpec`: one `HostConfig.Binds` entry (`docker run -v`), the daemon's ParseMountRaw;
 *   - `parseMountFlag`: one `docker run --mount` value → the API's `HostConfig.Mounts[]` object (CLI side);
 *   - `parseMountRequest`: one `HostConfig.Mounts[]` object, the daemon's ParseMountSpec;
 *   - `collectMountSpecs`: all of a container's, with Docker's duplicate check;
 *   - `mountPointView`: what `inspect` shows in `Mounts[]` once volumes are resolved.
 *
 * Error messages are Docker's, since users and tests compare them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../../common/errors';
import { parseRamBytes } from './local-options';
import { LOCAL_DRIVER } from './types';

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
const PROPAGATIONS: ReadonlySet<string> = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const DEFAULT_PROPAGATION: Propagation = 'rprivate';
const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);

/** Docker's API `mount.Mount` (an entry of `HostConfig.Mounts`), camelCase. */
export interface MountRequest {
  type: string;
  source?: string;
  target?: string;
  readOnly?: boolean;
  consistency?: string;
  bindOptions?: {
    propagation?: string;
    nonRecursive?: boolean;
    createMountpoint?: boolean;
    readOnlyNonRecursive?: boolean;
    readOnlyForceRecursive?: boolean;
  };
  volumeOptions?: {
    noCopy?: boolean;
    labels?: Record<string, string>;
    subpath?: string;
    driverConfig?: { name?: string; options?: Record<string, string> };
  };
  tmpfsOptions?: { sizeBytes?: number; mode?: number };
}

interface SpecBase {
  /** Cleaned absolute path in the container. */
  destination: string;
  rw: boolean;
  /** The `-v` mode string as given (`ro,z`); `z` for local volumes given none, as Docker shows it. */
  mode: string;
}

export interface BindMountSpec extends SpecBase {
  type: 'bind';
  /** Cleaned absolute host path. */
  source: string;
  propagation: Propagation;
  /** Create the host path (as a directory) at start when missing: true for `-v`, `bind-create-src` for --mount. */
  createSource: boolean;
  /** `bind-recursive=disabled`: a plain (non-recursive) bind. */
  nonRecursive: boolean;
}

export interface VolumeMountSpec extends SpecBase {
  type: 'volume';
  /** Undefined for an anonymous volume (create one with a random name). */
  name: string | undefined;
  driver: string;
  /** Fill an empty volume from the image (`copyUp`); false with `nocopy`. */
  copyData: boolean;
  /** For creating the volume (`--mount volume-opt=`, `volume-label=`); undefined for `-v`. */
  driverOpts: Record<string, string> | undefined;
  labels: Record<string, string> | undefined;
  /** `volume-subpath`: mount this relative path of the volume. */
  subpath: string | undefined;
}

export interface TmpfsMountSpec extends SpecBase {
  type: 'tmpfs';
  /** tmpfs mount data as Docker computes it: `ro`, `mode=1777`, `size=64m`. */
  options: string;
}

export type MountSpec = BindMountSpec | VolumeMountSpec | TmpfsMountSpec;

/** An entry of `Mounts[]` in container inspect (the wire layer renders it in PascalCase). */
export interface MountPointView {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Volumes only. */
  name?: string;
  source: string;
  destination: string;
  /** Volumes only. */
  driver?: string;
  mode: string;
  rw: boolean;
  propagation: string;
}

/** Go's path.Clean for slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATIONS.has(o)) counts.prop++;
    else if (COPY_MODES.has(o)) counts.copy++;
    else if (CONSISTENCY_MODES.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

const mountConfigError = (type: string, message: string): Error =>
  new Error(`invalid mount config for type ${JSON.stringify(type)}: ${message}`);

function validateTarget(type: string, target: string | undefined): void {
  if (target === undefined || target === '') throw mountConfigError(type, 'field Target must not be empty');
  if (cleanPath(target) === '/') throw mountConfigError(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) {
    throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  }
}

/** Docker's ConvertTmpfsOptions: `ro`, `mode=<octal>`, `size=<n>[kmg]`. */
export function tmpfsOptionsString(options: MountRequest['tmpfsOptions'], readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (options?.mode) out.push(`mode=${options.mode.toString(8)}`);
  if (options?.sizeBytes) {
    let size = options.sizeBytes;
    let suffix = '';
    for (const [s, d] of [
      ['g', 2 ** 30],
      ['m', 2 ** 20],
      ['k', 2 ** 10],
    ] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  return out.join(',');
}

export interface ParseMountOptions {
  /** Whether a host path exists (the `--mount type=bind` check). Defaults to fs.existsSync. */
  pathExists?: (p: string) => boolean;
}

/** The daemon's validation and conversion of one API mount; throws plain Errors with Docker's text. */
function toSpec(m: MountRequest, checkBindSource: boolean, options: ParseMountOptions): MountSpec {
  const type = m.type;
  if (type !== 'bind' && m.bindOptions !== undefined)
    throw mountConfigError(type, 'field BindOptions must not be specified');
  if (type !== 'volume' && m.volumeOptions !== undefined) {
    throw mountConfigError(type, 'field VolumeOptions must not be specified');
  }
  if (type !== 'tmpfs' && m.tmpfsOptions !== undefined) {
    throw mountConfigError(type, 'field TmpfsOptions must not be specified');
  }
  validateTarget(type, m.target);
  const destination = cleanPath(m.target ?? '');
  const rw = m.readOnly !== true;
  switch (type) {
    case 'bind': {
      const source = m.source ?? '';
      if (source === '') throw mountConfigError(type, 'field Source must not be empty');
      const prop = m.bindOptions?.propagation ?? '';
      if (prop !== '' && !PROPAGATIONS.has(prop)) throw mountConfigError(type, `invalid propagation mode: ${prop}`);
      if (!source.startsWith('/')) {
        throw mountConfigError(type, `invalid mount path: '${source}' mount path must be absolute`);
      }
      const create = m.bindOptions?.createMountpoint === true;
      if (checkBindSource && !create && !(options.pathExists ?? existsSync)(source)) {
        throw mountConfigError(type, `bind source path does not exist: ${source}`);
      }
      return {
        type,
        source: cleanPath(source),
        destination,
        rw,
        mode: '',
        propagation: prop === '' ? DEFAULT_PROPAGATION : (prop as Propagation),
        createSource: create,
        nonRecursive: m.bindOptions?.nonRecursive === true,
      };
    }
    case 'volume': {
      const name = m.source === undefined || m.source === '' ? undefined : m.source;
      const subpath = m.volumeOptions?.subpath;
      if (subpath !== undefined && subpath !== '') {
        if (name === undefined) throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
        const clean = cleanPath(subpath);
        if (subpath.startsWith('/') || clean === '..' || clean.startsWith('../')) {
          throw mountConfigError(type, 'subpath must be a relative path within the volume');
        }
      }
      const driver = m.volumeOptions?.driverConfig?.name || LOCAL_DRIVER;
      return {
        type,
        name,
        destination,
        rw,
        mode: driver === LOCAL_DRIVER ? 'z' : '',
        driver,
        copyData: m.volumeOptions?.noCopy !== true,
        driverOpts: m.volumeOptions?.driverConfig?.options,
        labels: m.volumeOptions?.labels,
        subpath: subpath === '' ? undefined : subpath,
      };
    }
    case 'tmpfs': {
      if ((m.source ?? '') !== '') throw mountConfigError(type, 'field Source must not be specified');
      return { type, destination, rw, mode: '', options: tmpfsOptionsString(m.tmpfsOptions, !rw) };
    }
    default:
      throw mountConfigError(type, 'mount type unknown');
  }
}

/**
 * Parses one `HostConfig.Binds` entry (`-v`): `name:/path[:mode]`, `/host:/path[:mode]`, `/path`.
 * `volumeDriver` is `HostConfig.VolumeDriver`. Throws 400 with Docker's messages.
 */
export function parseBindSpec(raw: string, options: { volumeDriver?: string } = {}): MountSpec {
  const invalidSpec = `invalid volume specification: '${raw}'`;
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw invalidArgument(invalidSpec);
  let source = '';
  let target = '';
  let mode = '';
  switch (arr.length) {
    case 1:
      target = arr[0] ?? '';
      break;
    case 2:
      // `/foo:rw` is a destination with a mode and no source: not valid.
      if (validMode(arr[1] ?? '')) throw invalidArgument(invalidSpec);
      source = arr[0] ?? '';
      target = arr[1] ?? '';
      break;
    case 3:
      source = arr[0] ?? '';
      target = arr[1] ?? '';
      mode = arr[2] ?? '';
      break;
    default:
      throw invalidArgument(invalidSpec);
  }
  if (!validMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  const modes = mode === '' ? [] : mode.split(',');
  const request: MountRequest = {
    type: source.startsWith('/') ? 'bind' : 'volume',
    source,
    target,
    readOnly: modes.includes('ro'),
  };
  if (options.volumeDriver && request.type === 'volume') {
    request.volumeOptions = { driverConfig: { name: options.volumeDriver } };
  }
  if (modes.includes('nocopy')) request.volumeOptions = { ...request.volumeOptions, noCopy: true };
  const prop = modes.find((o) => PROPAGATIONS.has(o));
  if (prop !== undefined) request.bindOptions = { propagation: prop };
  let spec: MountSpec;
  try {
    spec = toSpec(request, false, {});
  } catch (err) {
    throw invalidArgument(`${invalidSpec}: ${(err as Error).message}`);
  }
  if (spec.type === 'bind') spec.createSource = true;
  spec.mode = spec.type === 'volume' && mode === '' && spec.driver === LOCAL_DRIVER ? 'z' : mode;
  return spec;
}

/** Parses one API `HostConfig.Mounts[]` entry (the daemon's ParseMountSpec). Throws 400. */
export function parseMountRequest(m: MountRequest, options: ParseMountOptions = {}): MountSpec {
  try {
    return toSpec(m, true, options);
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
}

export interface CollectMountsInput {
  /** `HostConfig.Binds`. */
  binds?: readonly string[];
  /** `HostConfig.Mounts`. */
  mounts?: readonly MountRequest[];
  /** Destinations of `HostConfig.Tmpfs` (they conflict with binds). */
  tmpfs?: readonly string[];
  volumeDriver?: string;
  pathExists?: (p: string) => boolean;
}

/**
 * All of a container's mount specs, binds first then mounts, as the daemon
 * registers them; a destination used twice → 400 `Duplicate mount point: /x`.
 */
export function collectMountSpecs(input: CollectMountsInput): MountSpec[] {
  const taken = new Set<string>();
  const tmpfs = new Set((input.tmpfs ?? []).map(cleanPath));
  const out: MountSpec[] = [];
  const bindOptions = input.volumeDriver === undefined ? {} : { volumeDriver: input.volumeDriver };
  for (const raw of input.binds ?? []) {
    const spec = parseBindSpec(raw, bindOptions);
    if (taken.has(spec.destination) || tmpfs.has(spec.destination)) {
      throw invalidArgument(`Duplicate mount point: ${spec.destination}`);
    }
    taken.add(spec.destination);
    out.push(spec);
  }
  for (const m of input.mounts ?? []) {
    const spec = parseMountRequest(m, input.pathExists === undefined ? {} : { pathExists: input.pathExists });
    if (taken.has(spec.destination)) throw invalidArgument(`Duplicate mount point: ${m.target ?? ''}`);
    taken.add(spec.destination);
    out.push(spec);
  }
  return out;
}

/**
 * The `Mounts[]` entry of a spec. Volumes need `volume` (the created or found
 * volume's name and mountpoint); bind sources and tmpfs need nothing.
 */
export function mountPointView(spec: MountSpec, volume?: { name: string; mountpoint: string }): MountPointView {
  switch (spec.type) {
    case 'bind':
      return {
        type: 'bind',
        source: spec.source,
        destination: spec.destination,
        mode: spec.mode,
        rw: spec.rw,
        propagation: spec.propagation,
      };
    case 'volume':
      return {
        type: 'volume',
        name: volume?.name ?? spec.name ?? '',
        source: volume?.mountpoint ?? '',
        destination: spec.destination,
        driver: spec.driver,
        mode: spec.mode,
        rw: spec.rw,
        propagation: '',
      };
    case 'tmpfs':
      return { type: 'tmpfs', source: '', destination: spec.destination, mode: '', rw: spec.rw, propagation: '' };
  }
}

// ---- the CLI's --mount flag ---------------------------------------------------------------------

/** One CSV record as Go's encoding/csv reads it (quotes, `""` escapes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('extraneous or missing " in quoted-field');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i];
        i++;
      }
      if (i < line.length && line[i] !== ',') throw new Error('extraneous or missing " in quoted-field');
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new Error('bare " in non-quoted-field');
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

function boolValue(key: string, value: string, hasValue: boolean): boolean {
  if (!hasValue) return true;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw invalidArgument(
    `invalid value for '${key}': invalid boolean value (${JSON.stringify(value)}): must be one of "true", "1", "false", or "0" (default "true")`,
  );
}

/**
 * Parses a `docker run --mount` value into the API object the CLI sends, with
 * the CLI's messages. `cwd` resolves sources starting with `.`.
 */
export function parseMountFlag(value: string, cwd: string = process.cwd()): MountRequest {
  const trimmed = value.trim();
  if (trimmed === '') throw invalidArgument('value is empty');
  let fields: string[];
  try {
    fields = csvFields(trimmed);
  } catch (err) {
    throw invalidArgument(`parse error on line 1: ${(err as Error).message}`);
  }
  const m: MountRequest = { type: 'volume' };
  const bind = (): NonNullable<MountRequest['bindOptions']> => {
    m.bindOptions ??= {};
    return m.bindOptions;
  };
  const vol = (): NonNullable<MountRequest['volumeOptions']> => {
    m.volumeOptions ??= {};
    return m.volumeOptions;
  };
  const driverConfig = (): { name?: string; options?: Record<string, string> } => {
    const v = vol();
    v.driverConfig ??= {};
    return v.driverConfig;
  };
  const tmpfs = (): NonNullable<MountRequest['tmpfsOptions']> => {
    m.tmpfsOptions ??= {};
    return m.tmpfsOptions;
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const hasValue = eq >= 0;
    let key = hasValue ? field.slice(0, eq) : field;
    const val = hasValue ? field.slice(eq + 1) : '';
    if (key.trim() !== key) {
      throw invalidArgument(`invalid option '${key.trim()}' in '${field}': option should not have whitespace`);
    }
    if (hasValue) {
      if (val.trim() === '') throw invalidArgument(`invalid value for '${key}': value is empty`);
      if (val.trim() !== val) {
        throw invalidArgument(`invalid value for '${key}' in '${field}': value should not have whitespace`);
      }
    }
    key = key.toLowerCase();
    if (!hasValue && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-src'].includes(key)) {
      throw invalidArgument(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        m.type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        m.source = !val.startsWith('/') && val.startsWith('.') ? path.resolve(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = val;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = boolValue(key, val, hasValue);
        break;
      case 'consistency':
        m.consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bind().propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        throw invalidArgument('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      case 'bind-recursive':
        if (val === 'disabled') bind().nonRecursive = true;
        else if (val === 'writable') bind().readOnlyNonRecursive = true;
        else if (val === 'readonly') bind().readOnlyForceRecursive = true;
        else if (val !== 'enabled') {
          throw invalidArgument(
            `invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`,
          );
        }
        break;
      case 'bind-create-src':
        bind().createMountpoint = boolValue(key, val, hasValue);
        break;
      case 'volume-subpath':
        vol().subpath = val;
        break;
      case 'volume-nocopy':
        vol().noCopy = boolValue(key, val, hasValue);
        break;
      case 'volume-label':
      case 'volume-opt': {
        const i = val.indexOf('=');
        const k = i < 0 ? val : val.slice(0, i);
        const v = i < 0 ? '' : val.slice(i + 1);
        if (key === 'volume-label') {
          const v2 = vol();
          v2.labels ??= {};
          if (k !== '') v2.labels[k] = v;
        } else {
          const d = driverConfig();
          d.options ??= {};
          if (k !== '') d.options[k] = v;
        }
        break;
      }
      case 'volume-driver':
        driverConfig().name = val;
        break;
      case 'tmpfs-size': {
        const size = parseRamBytes(val);
        if (size === undefined) throw invalidArgument(`invalid value for ${key}: ${val}`);
        tmpfs().sizeBytes = size;
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val) || Number.parseInt(val, 8) > 0xffffffff) {
          throw invalidArgument(`invalid value for ${key}: ${val}`);
        }
        tmpfs().mode = Number.parseInt(val, 8);
        break;
      }
      default:
        throw invalidArgument(`unknown option '${key}' in '${field}'`);
    }
  }
  if (m.type === '') throw invalidArgument('type is required');
  for (const [opts, prefix, type] of [
    [m.bindOptions, 'bind', 'bind'],
    [m.volumeOptions, 'volume', 'volume'],
    [m.tmpfsOptions, 'tmpfs', 'tmpfs'],
  ] as const) {
    if (opts !== undefined && m.type !== type) {
      throw invalidArgument(`cannot mix '${prefix}-*' options with mount type '${m.type}'`);
    }
  }
  if (m.bindOptions?.readOnlyNonRecursive && !m.readOnly) {
    throw invalidArgument("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (m.bindOptions?.readOnlyForceRecursive) {
    if (!m.readOnly) {
      throw invalidArgument("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    }
    if (m.bindOptions.propagation !== 'rprivate') {
      throw invalidArgument(
        "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
      );
    }
  }
  return m;
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}
