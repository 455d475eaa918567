/**
 * berth's benchmarks, as root: `npm run bench` runs them all;
 * `npm run bench -- images` or `-- containers` runs one. Benchmarks print
 * figures (medians, ratios against dockerd/runc where installed); they assert
 * nothing. bench/README.md lists them and RESULTS.md keeps the last figures.
 */
import { benchContainers } from './containers';
import { benchExec } from './exec';
import { benchImages } from './images';
import { benchLogs } from './logs';
import { benchNetwork } from './network';

const SUITES: Record<string, () => Promise<void>> = {
  images: benchImages,
  containers: benchContainers,
  exec: benchExec,
  logs: benchLogs,
  network: benchNetwork,
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('the benchmarks need root (overlay layers, namespaces, cgroups)');
    process.exit(1);
  }
  const wanted = process.argv.slice(2);
  for (const name of wanted.length > 0 ? wanted : Object.keys(SUITES)) {
    const suite = SUITES[name];
    if (!suite) throw new Error(`unknown benchmark ${name}: one of ${Object.keys(SUITES).join(', ')}`);
    await suite();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
