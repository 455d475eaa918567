import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readTar } from './src/engine/snapshots/tar-reader';
import { buildTar, type TarSpec } from './src/engine/snapshots/test-tars';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
async function main() {
  const noise = randomBytes(1 << 20);
  const entries: TarSpec[] = [];
  for (let i = 0; i < 2000; i++) entries.push({ name: `f${i}`, content: noise.subarray(0, 50000) });
  const layer = buildTar(entries);
  const chunks = Array.from({ length: Math.ceil(layer.length / 65536) }, (_, i) => layer.subarray(i * 65536, (i + 1) * 65536));
  let t0 = Date.now(); let n = 0;
  for await (const ev of readTar(Readable.from(chunks, { objectMode: false }))) n++;
  console.log('parse', Date.now() - t0, 'ms', n);
  const dir = mkdtempSync(process.env.D ?? '/tmp/berth-prof-');
  t0 = Date.now();
  for (let i = 0; i < 2000; i++) { const h = await fs.open(`${dir}/f${i}`, 'wx'); await h.write(noise, 0, 50000); await h.chown(0,0); await h.chmod(0o644); await h.utimes(1,1); await h.close(); }
  console.log('fs async', Date.now() - t0, 'ms');
  t0 = Date.now();
  for (let i = 0; i < 2000; i++) { const h = await fs.open(`${dir}/g${i}`, 'wx'); await h.write(noise, 0, 50000); await h.close(); }
  console.log('fs async open/write/close', Date.now() - t0, 'ms');
  const fss = require('node:fs');
  t0 = Date.now();
  for (let i = 0; i < 2000; i++) { const fd = fss.openSync(`${dir}/h${i}`, 'wx'); fss.writeSync(fd, noise, 0, 50000); fss.fchownSync(fd,0,0); fss.fchmodSync(fd,0o644); fss.futimesSync(fd,1,1); fss.closeSync(fd); }
  console.log('fs sync', Date.now() - t0, 'ms');
  t0 = Date.now();
  await Promise.all(Array.from({length: 2000}, async (_, i) => { const h = await fs.open(`${dir}/k${i}`, 'wx'); await h.write(noise, 0, 50000); await h.chown(0,0); await h.chmod(0o644); await h.utimes(1,1); await h.close(); }));
  console.log('fs async parallel', Date.now() - t0, 'ms');
  rmSync(dir, { recursive: true });
}
main();
