// Bundles the CLI and the daemon into one file each, so that `berth` starts
// fast (one file to load, no module resolution at run time).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

// bin/berth keeps V8's code cache of the CLI bundle beside it (named after the bundle's size
// and mtime): the caches of earlier bundles are dead weight.
for (const name of existsSync('dist') ? readdirSync('dist', { withFileTypes: true }) : []) {
  if (name.isFile() && /^berth\.cjs\..*\.cache$/.test(name.name)) rmSync(`dist/${name.name}`, { force: true });
}

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/berth.cjs' }),
  build({ ...common, entryPoints: ['src/daemon/main.ts'], outfile: 'dist/berthd.cjs' }),
]);

// bin/berth runs the CLI bundle through vm.Script (for V8's code cache), where a dynamic import()
// has no loader: keep the CLI free of them.
const { readFileSync } = await import('node:fs');
if (/\bimport\(/.test(readFileSync('dist/berth.cjs', 'utf8'))) {
  console.error('dist/berth.cjs contains a dynamic import(): use a static import in src/cli');
  process.exit(1);
}
