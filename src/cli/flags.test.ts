import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CliUsageError,
  defineCommand,
  GLOBAL_FLAGS,
  parseCommand,
  parseGlobalFlags,
  renderCommandHelp,
  renderFlagUsages,
  renderGroupHelp,
  useLine,
} from './flags';

const images = defineCommand({
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  maxArgs: 1,
  aliases: ['image ls', 'image list'],
  flags: [
    { name: 'all', short: 'a', kind: 'bool', help: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', help: 'Show digests' },
    {
      name: 'filter',
      short: 'f',
      kind: 'list',
      valueName: 'filter',
      help: 'Filter output based on conditions provided',
    },
    { name: 'format', kind: 'string', help: 'Format output using a custom template' },
    { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
    { name: 'last', short: 'n', kind: 'int', default: -1, help: 'Show n last created' },
    { name: 'secret', kind: 'bool', hidden: true, help: 'Not shown' },
  ],
});

const run = defineCommand({
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  minArgs: 1,
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' },
    { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
    { name: 'publish', short: 'p', kind: 'list', help: "Publish a container's port(s) to the host" },
    { name: 'env', short: 'e', kind: 'list', help: 'Set environment variables' },
    { name: 'name', kind: 'string', help: 'Assign a name to the container' },
    { name: 'hostname', short: 'h', kind: 'string', help: 'Container host name' },
  ],
});

const tag = defineCommand({
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  minArgs: 2,
  maxArgs: 2,
  flags: [],
});

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CliUsageError);
    return e.reason;
  }
  assert.fail('expected a CliUsageError');
}

describe('parseCommand', () => {
  it('returns typed defaults', () => {
    const r = parseCommand(images, []);
    assert.deepEqual(r.flags, {
      all: false,
      digests: false,
      filter: [],
      format: '',
      'no-trunc': false,
      quiet: false,
      last: -1,
      secret: false,
    });
    const all: boolean = r.flags.all;
    const filters: string[] = r.flags.filter;
    const last: number = r.flags.last;
    assert.equal(all, false);
    assert.deepEqual(filters, []);
    assert.equal(last, -1);
    assert.deepEqual(r.args, []);
    assert.equal(r.help, false);
    assert.equal(r.changed.size, 0);
  });

  it('parses long, short, combined and attached forms', () => {
    const r = parseCommand(images, [
      '--format',
      '{{.ID}}',
      '-qa',
      '-f',
      'dangling=true',
      '--filter=label=x',
      'busybox',
    ]);
    assert.equal(r.flags.format, '{{.ID}}');
    assert.equal(r.flags.quiet, true);
    assert.equal(r.flags.all, true);
    assert.deepEqual(r.flags.filter, ['dangling=true', 'label=x']);
    assert.deepEqual(r.args, ['busybox']);
    assert.deepEqual([...r.changed].sort(), ['all', 'filter', 'format', 'quiet']);
    assert.equal(parseCommand(images, ['--format={{.ID}}']).flags.format, '{{.ID}}');
    assert.equal(parseCommand(images, ['-n3']).flags.last, 3);
    assert.equal(parseCommand(images, ['-n=4']).flags.last, 4);
    assert.equal(parseCommand(images, ['-qn', '5']).flags.last, 5);
    assert.equal(parseCommand(images, ['--last', '0x10']).flags.last, 16);
    assert.equal(parseCommand(images, ['--last=-2']).flags.last, -2);
  });

  it('sets booleans explicitly', () => {
    assert.equal(parseCommand(images, ['--all=false']).flags.all, false);
    assert.equal(parseCommand(images, ['--all=true']).flags.all, true);
    assert.equal(parseCommand(images, ['-a=false']).flags.all, false);
    assert.equal(parseCommand(images, ['--all=1']).flags.all, true);
    // a bool never takes the next argument as its value
    assert.deepEqual(parseCommand(images, ['--all', 'false']).args, ['false']);
  });

  it('intersperses flags and arguments unless the command stops at the first argument', () => {
    assert.deepEqual(parseCommand(images, ['busybox', '-a']).flags.all, true);
    const r = parseCommand(run, ['-it', '-d', 'busybox', 'ls', '-la', '--name', 'x']);
    assert.equal(r.flags.interactive, true);
    assert.equal(r.flags.tty, true);
    assert.equal(r.flags.detach, true);
    assert.equal(r.flags.name, '');
    assert.deepEqual(r.args, ['busybox', 'ls', '-la', '--name', 'x']);
  });

  it('handles a bool shorthand followed by a value shorthand', () => {
    const r = parseCommand(run, ['-dp', '80:80', '-e', 'A=1', '-eB=2', 'nginx']);
    assert.equal(r.flags.detach, true);
    assert.deepEqual(r.flags.publish, ['80:80']);
    assert.deepEqual(r.flags.env, ['A=1', 'B=2']);
    assert.deepEqual(r.args, ['nginx']);
  });

  it('ends flags at -- and treats - as an argument', () => {
    const r = parseCommand(images, ['-a', '--', '-q']);
    assert.equal(r.flags.quiet, false);
    assert.deepEqual(r.args, ['-q']);
    assert.deepEqual(parseCommand(run, ['--', 'busybox', '-d']).args, ['busybox', '-d']);
    assert.deepEqual(parseCommand(tag, ['-', 'b']).args, ['-', 'b']);
    assert.deepEqual(parseCommand(tag, ['a', '--', '-b']).args, ['a', '-b']);
  });

  it('recognizes --help and -h, except where -h belongs to the command', () => {
    assert.equal(parseCommand(images, ['--help']).help, true);
    assert.equal(parseCommand(images, ['-h']).help, true);
    assert.equal(parseCommand(images, ['-ah']).help, true);
    // help skips the argument count check
    assert.equal(parseCommand(tag, ['--help']).help, true);
    const r = parseCommand(run, ['-h', 'box', 'busybox']);
    assert.equal(r.help, false);
    assert.equal(r.flags.hostname, 'box');
    assert.equal(parseCommand(run, ['--help']).help, true);
    // after the image, --help belongs to the container's command
    assert.equal(parseCommand(run, ['busybox', '--help']).help, false);
    assert.equal('help' in parseCommand(images, ['--help']).flags, false);
  });

  it('reports unknown flags and missing values in pflag words', () => {
    assert.equal(
      reasonOf(() => parseCommand(images, ['--foo'])),
      'unknown flag: --foo',
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['--foo=bar'])),
      'unknown flag: --foo',
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['-z'])),
      "unknown shorthand flag: 'z' in -z",
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['-qzx'])),
      "unknown shorthand flag: 'z' in -zx",
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['--format'])),
      'flag needs an argument: --format',
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['-f'])),
      "flag needs an argument: 'f' in -f",
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['-qf'])),
      "flag needs an argument: 'f' in -f",
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['---x'])),
      'bad flag syntax: ---x',
    );
  });

  it('reports bad values with strconv text', () => {
    assert.equal(
      reasonOf(() => parseCommand(images, ['-n', 'x'])),
      'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax',
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['--last=99999999999999999999'])),
      'invalid argument "99999999999999999999" for "-n, --last" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    );
    assert.equal(
      reasonOf(() => parseCommand(images, ['--digests=maybe'])),
      'invalid argument "maybe" for "--digests" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    );
  });

  it('formats the whole usage error like docker, exit code 125', () => {
    try {
      parseCommand(images, ['--foo'], { program: 'berth' });
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof CliUsageError);
      assert.equal(e.exitCode, 125);
      assert.equal(
        e.message,
        "unknown flag: --foo\n\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'berth images --help' for more information",
      );
    }
  });

  it('checks argument counts with docker wording, exit code 1', () => {
    assert.throws(() => parseCommand(images, ['a', 'b']), {
      message:
        "docker: 'docker images' requires at most 1 argument\n\nUsage:  docker images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'docker images --help' for more information",
      exitCode: 1,
    });
    assert.equal(
      reasonOf(() => parseCommand(tag, ['a'])),
      "docker: 'docker tag' requires 2 arguments",
    );
    assert.equal(
      reasonOf(() => parseCommand(run, [], { program: 'berth' })),
      "berth: 'berth run' requires at least 1 argument",
    );
    const none = defineCommand({ name: 'system df', usage: '[OPTIONS]', description: 'x', maxArgs: 0, flags: [] });
    assert.equal(
      reasonOf(() => parseCommand(none, ['x'])),
      "docker: 'docker system df' accepts no arguments",
    );
    const range = defineCommand({ name: 'x', usage: 'A [B]', description: 'x', minArgs: 1, maxArgs: 2, flags: [] });
    assert.equal(
      reasonOf(() => parseCommand(range, [])),
      "docker: 'docker x' requires at least 1 and at most 2 arguments",
    );
  });
});

describe('global flags', () => {
  it('stop at the command name', () => {
    const r = parseGlobalFlags(['-H', 'unix:///tmp/x.sock', '-D', '--log-level=debug', 'run', '-it', 'busybox']);
    assert.deepEqual(r.flags.host, ['unix:///tmp/x.sock']);
    assert.equal(r.flags.debug, true);
    assert.equal(r.flags['log-level'], 'debug');
    assert.deepEqual(r.args, ['run', '-it', 'busybox']);
  });

  it('parse -v, -c, --config and help', () => {
    assert.equal(parseGlobalFlags(['-v']).flags.version, true);
    assert.equal(parseGlobalFlags(['-c', 'ctx', 'ps']).flags.context, 'ctx');
    assert.equal(parseGlobalFlags(['--config', '/etc/x', 'ps']).flags.config, '/etc/x');
    assert.equal(parseGlobalFlags(['--help']).help, true);
    assert.equal(parseGlobalFlags(['-l', 'warn']).flags['log-level'], 'warn');
    assert.equal(parseGlobalFlags([]).flags['log-level'], 'info');
    assert.deepEqual(parseGlobalFlags(['ps', '--help']).args, ['ps', '--help']);
    assert.equal(
      reasonOf(() => parseGlobalFlags(['--nope'])),
      'unknown flag: --nope',
    );
  });
});

describe('help', () => {
  it('renders a command like docker', () => {
    assert.equal(useLine(images, 'berth'), 'berth images [OPTIONS] [REPOSITORY[:TAG]]');
    assert.equal(
      renderCommandHelp(images),
      `
Usage:  docker images [OPTIONS] [REPOSITORY[:TAG]]

List images

Aliases:
  docker images, docker image ls, docker image list

Options:
  -a, --all             Show all images (default hides intermediate images)
      --digests         Show digests
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template
  -n, --last int        Show n last created (default -1)
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs
`,
    );
  });

  it('shows defaults and wraps long descriptions', () => {
    const out = renderFlagUsages(GLOBAL_FLAGS);
    assert.match(
      out,
      /^ {2}-l, --log-level string {3}Set the logging level \("debug", "info",\n {27}"warn", "error", "fatal"\) \(default "info"\)$/m,
    );
    assert.match(out, /^ {2}-H, --host list {10}Daemon socket to connect to$/m);
    for (const line of out.split('\n')) assert.ok(line.length <= 79, line);
    const unwrapped = renderFlagUsages(GLOBAL_FLAGS, 200);
    assert.match(unwrapped, /\("debug", "info", "warn", "error", "fatal"\) \(default "info"\)/);
  });

  it('omits Options when a command has no visible flags', () => {
    assert.equal(
      renderCommandHelp(tag, { program: 'berth' }),
      '\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n',
    );
  });

  it('renders command groups', () => {
    const out = renderGroupHelp(
      {
        name: 'image',
        description: 'Manage images',
        sections: [
          {
            title: 'Commands',
            commands: [
              { name: 'ls', description: 'List images' },
              { name: 'rm', description: 'Remove one or more images' },
            ],
          },
        ],
      },
      { program: 'berth' },
    );
    assert.equal(
      out,
      `
Usage:  berth image COMMAND

Manage images

Commands:
  ls          List images
  rm          Remove one or more images

Run 'berth image COMMAND --help' for more information on a command.
`,
    );
    const root = renderGroupHelp({
      name: '',
      description: 'A self-sufficient runtime for containers',
      sections: [
        { title: 'Common Commands', commands: [{ name: 'run', description: 'Create and run a new container' }] },
        { title: 'Management Commands', commands: [{ name: 'container', description: 'Manage containers' }] },
        { title: 'Empty', commands: [] },
      ],
      flags: GLOBAL_FLAGS,
      footer: 'For more help on how to use Docker, head to https://docs.docker.com/go/guides/',
    });
    assert.ok(
      root.startsWith(
        '\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n  run         Create',
      ),
    );
    assert.match(root, /\nManagement Commands:\n {2}container {3}Manage containers\n/);
    assert.doesNotMatch(root, /Empty/);
    assert.match(root, /\nGlobal Options:\n {6}--config string/);
    assert.ok(
      root.endsWith(
        "\nRun 'docker COMMAND --help' for more information on a command.\n\nFor more help on how to use Docker, head to https://docs.docker.com/go/guides/\n",
      ),
    );
  });
});
