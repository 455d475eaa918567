/**
 * A test image holding Debian's static busybox and berth's static probe
 * (native/build/berth-probe), imported into a daemon with `berth import`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findBusybox } from '../../scripts/make-fixtures';
import { berth } from './cli';
import { makeTar, type TarEntry } from './tarball';

export const PROBE = path.resolve(__dirname, '..', '..', 'native', 'build', 'berth-probe');
export const PROBE_IMAGE = 'berth-test/probe:latest';

const APPLETS = [
  'sh',
  'ls',
  'cat',
  'echo',
  'true',
  'false',
  'sleep',
  'id',
  'env',
  'mkdir',
  'touch',
  'ps',
  'hostname',
  'dd',
  'head',
  'stat',
  'grep',
  'kill',
  'wc',
  'rm',
  'test',
  'seq',
  'httpd',
  'wget',
  'nc',
  'nslookup',
  'ip',
  'stty',
  'tty',
];

export async function probeRootfs(): Promise<Buffer> {
  const busybox = findBusybox();
  if (busybox === undefined) throw new Error('needs busybox (apt-get install busybox-static)');
  const entries: TarEntry[] = [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', content: readFileSync(busybox), mode: 0o755 },
    ...APPLETS.map((a): TarEntry => ({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { name: 'probe', content: readFileSync(PROBE), mode: 0o755 },
    { name: 'etc/', type: 'directory' },
    {
      name: 'etc/passwd',
      content:
        'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    },
    { name: 'etc/group', content: 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'srv/', type: 'directory' },
    { name: 'srv/index.html', content: 'hello from the image\n' },
    { name: 'home/app/', type: 'directory', uid: 1000, gid: 1000 },
  ];
  return makeTar(entries);
}

/** Imports the probe image into the daemon at `host`. */
export async function importProbeImage(host: string): Promise<void> {
  const r = await berth(host, ['import', '-c', 'CMD ["/probe","json"]', '-c', 'ENV PATH=/bin', '-', PROBE_IMAGE], {
    input: await probeRootfs(),
  });
  if (r.code !== 0) throw new Error(`importing the probe image failed: ${r.stderr}`);
}

export interface ProbeReport {
  pid: number;
  ppid: number;
  hostname: string;
  uid: number;
  gid: number;
  groups: number[];
  cwd: string;
  CapEff: string;
  CapBnd: string;
  CapPrm: string;
  CapInh: string;
  CapAmb: string;
  NoNewPrivs: string;
  Seccomp: string;
  cgroup: string[];
  mounts: Array<{ target: string; fstype: string; options: string; super: string }>;
  rlimits: Record<string, [number, number]>;
  env: string[];
}
