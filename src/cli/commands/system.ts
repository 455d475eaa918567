/** `version` and `info`. */
import os from 'node:os';
import { ClientError } from '../../client';
import { API_VERSION, BERTH_VERSION, type SystemInfo, type SystemVersion } from '../../wire';
import { command } from '../command';
import { renderTemplate } from '../render/template';
import { bytesSize } from '../render/units';

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le' };
const goArch = (): string => GO_ARCH[process.arch] ?? process.arch;

function clientVersion(apiVersion: string) {
  return {
    Platform: { Name: 'berth' },
    Version: BERTH_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: API_VERSION,
    NodeVersion: process.version,
    GoVersion: process.version,
    GitCommit: '',
    BuildTime: '',
    Os: 'linux',
    Arch: goArch(),
    Context: 'default',
  };
}

/** Aligned "key: value" lines as docker's version template prints them. */
function lines(indent: string, pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(20 - indent.length)}${v}`.trimEnd()).join('\n');
}

export const versionCommand = command(
  {
    name: 'version',
    usage: '[OPTIONS]',
    description: 'Show the berth version information',
    maxArgs: 0,
    flags: [{ name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' }],
  },
  async (ctx, { flags }) => {
    let server: SystemVersion | undefined;
    let serverError: Error | undefined;
    let apiVersion = API_VERSION;
    try {
      const client = ctx.client();
      apiVersion = await client.apiVersion();
      server = await client.version();
    } catch (err) {
      serverError = err as Error;
    }
    const client = clientVersion(apiVersion);
    if (flags.format !== '') {
      ctx.stdout.write(`${renderTemplate(flags.format, { Client: client, Server: server ?? null })}\n`);
      if (serverError) throw serverError;
      return 0;
    }
    const negotiated = apiVersion === API_VERSION ? apiVersion : `${apiVersion} (downgraded from ${API_VERSION})`;
    let out = `Client:\n${lines(' ', [
      ['Version', BERTH_VERSION],
      ['API version', negotiated],
      ['Node version', process.version],
      ['OS/Arch', `linux/${goArch()}`],
      ['Context', 'default'],
    ])}\n`;
    if (server) {
      out += `\nServer: ${server.Platform?.Name ?? ''}\n`;
      for (const c of server.Components ?? []) {
        const d = c.Details ?? {};
        out += ` ${c.Name}:\n`;
        const pairs: Array<[string, string]> = [['Version', c.Version]];
        if (c.Name === 'Engine') {
          pairs.push(
            [
              'API version',
              `${d.ApiVersion ?? server.ApiVersion} (minimum version ${d.MinAPIVersion ?? server.MinAPIVersion})`,
            ],
            ['Go version', d.GoVersion ?? server.GoVersion],
            ['Git commit', d.GitCommit ?? server.GitCommit],
            ['Built', d.BuildTime ?? server.BuildTime],
            ['OS/Arch', `${d.Os ?? server.Os}/${d.Arch ?? server.Arch}`],
            ['Experimental', String(d.Experimental ?? server.Experimental ?? false)],
          );
        } else if (d.GitCommit !== undefined) {
          pairs.push(['GitCommit', d.GitCommit]);
        }
        out += `${lines('  ', pairs)}\n`;
      }
    }
    ctx.stdout.write(out);
    if (serverError) throw serverError;
    return 0;
  },
);

export const infoCommand = command(
  {
    name: 'info',
    aliases: ['system info'],
    usage: '[OPTIONS]',
    description: 'Display system-wide information',
    maxArgs: 0,
    flags: [{ name: 'format', short: 'f', kind: 'string', help: 'Format output using a custom template' }],
  },
  async (ctx, { flags }) => {
    let info: SystemInfo | undefined;
    let serverError: Error | undefined;
    try {
      info = await ctx.client().info();
    } catch (err) {
      if (err instanceof ClientError && !err.isConnectionError) throw err;
      serverError = err as Error;
    }
    if (flags.format !== '') {
      const data = { ...(info ?? {}), ClientInfo: { Version: BERTH_VERSION, Context: 'default', Debug: false } };
      ctx.stdout.write(`${renderTemplate(flags.format, data)}\n`);
      if (serverError) throw serverError;
      return 0;
    }
    let out = `Client:\n Version:    ${BERTH_VERSION}\n Context:    default\n Debug Mode: false\n`;
    if (info) {
      const i = info;
      out += '\nServer:\n';
      out += ` Containers: ${i.Containers}\n  Running: ${i.ContainersRunning}\n  Paused: ${i.ContainersPaused}\n  Stopped: ${i.ContainersStopped}\n`;
      out += ` Images: ${i.Images}\n Server Version: ${i.ServerVersion}\n Storage Driver: ${i.Driver}\n`;
      for (const [k, v] of i.DriverStatus ?? []) out += `  ${k}: ${v}\n`;
      out += ` Logging Driver: ${i.LoggingDriver}\n Cgroup Driver: ${i.CgroupDriver}\n Cgroup Version: ${i.CgroupVersion}\n`;
      out += ` Plugins:\n  Volume: ${(i.Plugins?.Volume ?? []).join(' ')}\n  Network: ${(i.Plugins?.Network ?? []).join(' ')}\n  Log: ${(i.Plugins?.Log ?? []).join(' ')}\n`;
      out += ` Swarm: ${i.Swarm?.LocalNodeState ?? 'inactive'}\n`;
      out += ` Runtimes: ${Object.keys(i.Runtimes ?? {}).join(' ')}\n Default Runtime: ${i.DefaultRuntime}\n`;
      if ((i.SecurityOptions ?? []).length > 0) {
        out += ' Security Options:\n';
        for (const s of i.SecurityOptions) out += `  ${s.replace(/^name=/, '')}\n`;
      }
      out += ` Kernel Version: ${i.KernelVersion}\n Operating System: ${i.OperatingSystem}\n OSType: ${i.OSType}\n`;
      out += ` Architecture: ${i.Architecture}\n CPUs: ${i.NCPU}\n Total Memory: ${bytesSize(i.MemTotal)}\n`;
      out += ` Name: ${i.Name || os.hostname()}\n ID: ${i.ID}\n Docker Root Dir: ${i.DockerRootDir}\n`;
      out += ` Debug Mode: ${i.Debug}\n Experimental: ${i.ExperimentalBuild}\n`;
      out += ` Insecure Registries:\n${(i.RegistryConfig?.InsecureRegistryCIDRs ?? []).map((c) => `  ${c}\n`).join('')}`;
      out += ` Live Restore Enabled: ${i.LiveRestoreEnabled}\n`;
    }
    ctx.stdout.write(`${out}\n`);
    if (info && (info.Warnings ?? []).length > 0) ctx.stderr.write(`${info.Warnings.join('\n')}\n`);
    if (serverError) throw serverError;
    return 0;
  },
);
