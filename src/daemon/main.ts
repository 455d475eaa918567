/** berthd's entry point (bundled into dist/berthd.cjs). */
import { errorMessage } from '../common/errors';
import { createLogger } from '../common/log';
import { BERTH_VERSION } from '../wire';
import { parseDaemonArgs, USAGE, UsageError } from './config';
import { Daemon } from './daemon';
import { createLocalEngine } from './engine';

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseDaemonArgs>;
  try {
    parsed = parseDaemonArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`berthd: ${err.message}\nSee 'berthd --help'.\n`);
      return 125;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
    return 0;
  }
  const logger = createLogger(parsed.config.logLevel);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(parsed.config, logger, { createEngine: createLocalEngine });
  } catch (err) {
    logger.error(`failed to start daemon: ${errorMessage(err)}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 2) {
        logger.warn('forced shutdown', { signal });
        process.exit(1);
      }
      if (signals > 1) return;
      logger.info('received signal', { signal });
      daemon.stop().then(
        () => resolve(0),
        (err) => {
          logger.error('shutdown failed', { err: errorMessage(err) });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', () => logger.info('received SIGHUP: nothing to reload'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`berthd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
