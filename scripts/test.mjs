// `npm test`: every tier, in order. Static checks first (types, lint/format,
// layer rule, the native build with -Werror), then one run of Node's test
// runner over unit, root, e2e and compat tests. Root tiers skip themselves
// with a reason when not root (see test/helpers/requires.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--tier='))?.slice('--tier='.length);
const filters = args.filter((a) => !a.startsWith('--'));

function run(label, cmd, cmdArgs, env = {}) {
  process.stdout.write(`\n== ${label}: ${cmd} ${cmdArgs.join(' ')}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    process.stdout.write(`\n${label} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

const tiers = {
  unit: (f) => f.startsWith('src/') && !f.endsWith('.root.test.ts'),
  root: (f) => f.endsWith('.root.test.ts'),
  e2e: (f) => f.startsWith('test/e2e/'),
  compat: (f) => f.startsWith('test/compat/'),
};

if (!only || only === 'static') {
  run('typecheck', 'npx', ['tsc', '--noEmit', '-p', '.']);
  run('lint+format', 'npx', ['biome', 'check', '.']);
  run('layers', 'node', ['scripts/check-layers.mjs']);
  run('native', 'make', ['-s', '-C', 'native']);
  run('bundle', 'node', ['scripts/build.mjs']);
  if (only === 'static') process.exit(0);
}

let files = walk(path.join(root, 'src')).concat(walk(path.join(root, 'test')));
files = files.filter((f) => (only ? tiers[only]?.(f) : Object.values(tiers).some((t) => t(f))));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
// Unit tests first, then the tiers that need the kernel, so a cheap failure shows early.
const order = (f) => Object.keys(tiers).findIndex((t) => tiers[t](f));
files.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
mkdirSync(path.join(root, '.test-out'), { recursive: true });
const tap = path.join(root, '.test-out', 'results.tap');
process.stdout.write(`\n== tests: ${files.length} files\n`);
const r = spawnSync(
  'node',
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, BERTH_TEST: '1' } },
);
const summary = readFileSync(tap, 'utf8');
const count = (k) => Number(summary.match(new RegExp(`^# ${k} (\\d+)$`, 'm'))?.[1] ?? 0);
let failed = count('fail') + count('cancelled');
// The suite ends with the leak check: it fails if a test left a mount, cgroup, link or process.
process.stdout.write('\n== leak check\n');
const leaks = spawnSync('node', ['--import', 'tsx', 'test/helpers/leak-check.ts'], { cwd: root, stdio: 'inherit' });
if (leaks.status !== 0) failed += 1;
process.stdout.write(`\ntests: ${count('pass')} passed, ${failed} failed, ${count('skipped')} skipped\n`);
process.exit(failed > 0 || r.status !== 0 ? 1 : 0);
