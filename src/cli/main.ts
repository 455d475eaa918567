/** Entry point of the `berth` CLI (bundled into dist/berth.cjs). */
import { runCli } from './cli';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // A closed pipe (`berth images | head`) ends the program quietly, as docker does.
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
