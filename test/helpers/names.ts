/**
 * Every kernel object and directory a test makes carries the test prefix, so
 * that the leak check can find what a test left behind (podman's `safename`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_PREFIX = 'berth-test-';

export function safeName(label = 't'): string {
  return `${TEST_PREFIX}${label}-${randomBytes(4).toString('hex')}`;
}

/** A fresh temporary directory named with the test prefix. The test removes it. */
export function testDir(label = 'dir'): string {
  return mkdtempSync(path.join(os.tmpdir(), `${TEST_PREFIX}${label}-`));
}
