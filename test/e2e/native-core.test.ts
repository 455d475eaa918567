/**
 * The C core's own tests (native/tests): the plan parser and log writer under
 * ASan+UBSan, then, as root, containers started by berth-core and inspected
 * from the inside by the probe. They are shell and C; this file runs them in
 * the suite so that their result counts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { requireAll, requireCommand } from '../helpers/requires';

const NATIVE = path.resolve(__dirname, '..', '..', 'native');

describe('native core', { skip: requireAll(requireCommand('make'), requireCommand('cc')) }, () => {
  it('passes its C unit tests and (as root) its container tests', () => {
    const r = spawnSync('make', ['-s', '-C', NATIVE, 'test'], { encoding: 'utf8', timeout: 300_000 });
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, output.split('\n').slice(-60).join('\n'));
    assert.doesNotMatch(output, /^not ok/m, output);
  });
});
