/**
 * The berth CLI: global flags, command lookup (`images`, `image ls`, ...),
 * and docker's error printing and exit codes. `runCli` takes its streams and
 * environment as arguments so tests can run it in-process.
 */
import { ClientError, EngineClient } from '../client';
import { EngineError } from '../common/errors';
import { BERTH_VERSION } from '../wire';
import { type CliCommand, type CliContext, CliExit } from './command';
import { attachCommand } from './commands/attach';
import { commitCommand, diffCommand, exportCommand } from './commands/container-files';
import {
  pauseCommand,
  renameCommand,
  statsCommand,
  topCommand,
  unpauseCommand,
  updateCommand,
} from './commands/container-ops';
import {
  containerInspectCommand,
  containerPruneCommand,
  createCommand,
  killCommand,
  logsCommand,
  psCommand,
  restartCommand,
  rmCommand,
  runCommand,
  startCommand,
  stopCommand,
  waitCommand,
} from './commands/containers';
import { cpCommand } from './commands/cp';
import { eventsCommand } from './commands/events';
import { execCommand } from './commands/exec';
import {
  historyCommand,
  imageInspectCommand,
  imagePruneCommand,
  imagesCommand,
  importCommand,
  loadCommand,
  rmiCommand,
  saveCommand,
  tagCommand,
} from './commands/images';
import { inspectCommand } from './commands/inspect';
import {
  networkConnectCommand,
  networkCreateCommand,
  networkDisconnectCommand,
  networkInspectCommand,
  networkLsCommand,
  networkPruneCommand,
  networkRmCommand,
  portCommand,
} from './commands/networks';
import { infoCommand, versionCommand } from './commands/system';
import { systemDfCommand, systemPruneCommand } from './commands/system-disk';
import {
  volumeCreateCommand,
  volumeInspectCommand,
  volumeLsCommand,
  volumePruneCommand,
  volumeRmCommand,
} from './commands/volumes';
import {
  CliUsageError,
  type CommandGroupSpec,
  GLOBAL_FLAGS,
  parseCommand,
  parseGlobalFlags,
  renderCommandHelp,
  renderGroupHelp,
} from './flags';

const COMMANDS: readonly CliCommand[] = [
  runCommand,
  attachCommand,
  createCommand,
  startCommand,
  stopCommand,
  restartCommand,
  killCommand,
  rmCommand,
  psCommand,
  execCommand,
  logsCommand,
  waitCommand,
  containerPruneCommand,
  containerInspectCommand,
  pauseCommand,
  unpauseCommand,
  renameCommand,
  updateCommand,
  topCommand,
  statsCommand,
  eventsCommand,
  versionCommand,
  infoCommand,
  imagesCommand,
  historyCommand,
  tagCommand,
  rmiCommand,
  importCommand,
  loadCommand,
  saveCommand,
  imagePruneCommand,
  imageInspectCommand,
  inspectCommand,
  portCommand,
  cpCommand,
  diffCommand,
  exportCommand,
  commitCommand,
];

/** Management commands and the short names of their subcommands. */
const GROUPS: Record<string, { description: string; commands: Record<string, CliCommand> }> = {
  image: {
    description: 'Manage images',
    commands: {
      history: historyCommand,
      import: importCommand,
      inspect: imageInspectCommand,
      load: loadCommand,
      ls: imagesCommand,
      list: imagesCommand,
      prune: imagePruneCommand,
      rm: rmiCommand,
      remove: rmiCommand,
      save: saveCommand,
      tag: tagCommand,
    },
  },
  container: {
    description: 'Manage containers',
    commands: {
      port: portCommand,
      attach: attachCommand,
      create: createCommand,
      exec: execCommand,
      inspect: containerInspectCommand,
      kill: killCommand,
      logs: logsCommand,
      pause: pauseCommand,
      rename: renameCommand,
      stats: statsCommand,
      top: topCommand,
      unpause: unpauseCommand,
      update: updateCommand,
      ls: psCommand,
      list: psCommand,
      ps: psCommand,
      prune: containerPruneCommand,
      restart: restartCommand,
      rm: rmCommand,
      remove: rmCommand,
      run: runCommand,
      start: startCommand,
      stop: stopCommand,
      wait: waitCommand,
      commit: commitCommand,
      cp: cpCommand,
      diff: diffCommand,
      export: exportCommand,
    },
  },
  system: {
    description: 'Manage berth',
    commands: { df: systemDfCommand, events: eventsCommand, info: infoCommand, prune: systemPruneCommand },
  },
  network: {
    description: 'Manage networks',
    commands: {
      connect: networkConnectCommand,
      create: networkCreateCommand,
      disconnect: networkDisconnectCommand,
      inspect: networkInspectCommand,
      ls: networkLsCommand,
      list: networkLsCommand,
      prune: networkPruneCommand,
      rm: networkRmCommand,
      remove: networkRmCommand,
    },
  },
  volume: {
    description: 'Manage volumes',
    commands: {
      create: volumeCreateCommand,
      inspect: volumeInspectCommand,
      ls: volumeLsCommand,
      list: volumeLsCommand,
      prune: volumePruneCommand,
      rm: volumeRmCommand,
      remove: volumeRmCommand,
    },
  },
};

const TOP_LEVEL = new Map<string, CliCommand>(
  COMMANDS.filter((c) => !c.spec.name.includes(' ')).map((c) => [c.spec.name, c]),
);

export interface CliIo {
  stdin: CliContext['stdin'];
  stdout: CliContext['stdout'];
  stderr: CliContext['stderr'];
  env: NodeJS.ProcessEnv;
}

function rootHelp(program: string): string {
  const spec: CommandGroupSpec = {
    name: '',
    description: 'A container engine that speaks Docker',
    sections: [
      {
        title: 'Common Commands',
        commands: [...TOP_LEVEL.values()].map((c) => ({ name: c.spec.name, description: c.spec.description })),
      },
      {
        title: 'Management Commands',
        commands: Object.entries(GROUPS).map(([name, g]) => ({ name, description: g.description })),
      },
    ],
    flags: GLOBAL_FLAGS,
  };
  return renderGroupHelp(spec, { program });
}

function groupHelp(program: string, name: string): string {
  const group = GROUPS[name]!;
  const seen = new Set<CliCommand>();
  const commands: Array<{ name: string; description: string }> = [];
  for (const [sub, c] of Object.entries(group.commands).sort(([a], [b]) => a.localeCompare(b))) {
    if (seen.has(c)) continue;
    seen.add(c);
    commands.push({ name: sub, description: c.spec.description });
  }
  return renderGroupHelp(
    { name, description: group.description, sections: [{ title: 'Commands', commands }] },
    { program },
  );
}

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo, program = 'berth'): Promise<number> {
  let client: EngineClient | undefined;
  try {
    const globals = parseGlobalFlags(argv, { program });
    if (globals.flags.version) {
      io.stdout.write(`berth version ${BERTH_VERSION}, build node ${process.version}\n`);
      return 0;
    }
    const [name, ...rest] = globals.args;
    if (name === undefined || globals.help) {
      io.stdout.write(rootHelp(program));
      return 0;
    }
    let cmd = TOP_LEVEL.get(name);
    let args = rest;
    if (!cmd && GROUPS[name]) {
      const [sub, ...subArgs] = rest;
      if (sub === undefined || sub === '--help' || sub === '-h') {
        io.stdout.write(groupHelp(program, name));
        return 0;
      }
      cmd = GROUPS[name].commands[sub];
      if (!cmd) {
        io.stderr.write(
          `${program}: unknown command: ${program} ${name} ${sub}\n\nUsage:  ${program} ${name}\n\nRun '${program} ${name} --help' for more information\n`,
        );
        return 1;
      }
      args = subArgs;
    }
    if (!cmd) {
      io.stderr.write(
        `${program}: unknown command: ${program} ${name}\n\nRun '${program} --help' for more information\n`,
      );
      return 1;
    }
    const parsed = parseCommand(cmd.spec, args, { program });
    if (parsed.help) {
      io.stdout.write(renderCommandHelp(cmd.spec, { program }));
      return 0;
    }
    const host = globals.flags.host.at(-1);
    const ctx: CliContext = {
      program,
      ...io,
      client: () => {
        client ??= new EngineClient(host !== undefined ? { host } : {});
        return client;
      },
    };
    return (await cmd.run(ctx, parsed)) ?? 0;
  } catch (err) {
    return reportError(err, io, program);
  } finally {
    client?.close();
  }
}

function reportError(err: unknown, io: CliIo, program: string): number {
  if (err instanceof CliUsageError) {
    io.stderr.write(`${err.exitCode === 1 ? `${program}: ` : ''}${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof CliExit) {
    io.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ClientError) {
    if (err.isConnectionError || err.inStream) io.stderr.write(`${err.message}\n`);
    else io.stderr.write(`Error response from daemon: ${err.message}\n`);
    return err.inStream && err.code !== undefined ? err.code : 1;
  }
  if (err instanceof EngineError) {
    io.stderr.write(`${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EPIPE') return 0;
  io.stderr.write(`${e?.message ?? String(err)}\n`);
  return 1;
}
