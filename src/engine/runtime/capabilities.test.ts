import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_CAPABILITIES,
  capabilitiesOfMask,
  capabilityMask,
  capabilityNumber,
  DEFAULT_CAPABILITIES,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities';

describe('capabilities', () => {
  it('numbers every capability up to CAP_CHECKPOINT_RESTORE', () => {
    assert.equal(ALL_CAPABILITIES.length, 41);
    assert.equal(capabilityNumber('CAP_CHOWN'), 0);
    assert.equal(capabilityNumber('CAP_SYS_ADMIN'), 21);
    assert.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
  });
  it('masks the 14 defaults as Docker does', () => {
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.equal(capabilityMask(resolveCapabilities()), 0xa80425fbn);
    assert.deepEqual(capabilitiesOfMask(0xa80425fbn).sort(), [...DEFAULT_CAPABILITIES].sort());
  });
  it('normalizes names', () => {
    assert.equal(normalizeCapability('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(normalizeCapability('Cap_Sys_Admin'), 'CAP_SYS_ADMIN');
    assert.equal(normalizeCapability('all'), 'ALL');
    assert.throws(
      () => normalizeCapability('foo'),
      (e: Error & { kind?: string }) => e.kind === 'invalid-argument' && e.message === 'unknown capability: "CAP_FOO"',
    );
  });
  it('adds and drops like TweakCapabilities', () => {
    const r = resolveCapabilities({ capAdd: ['NET_ADMIN'], capDrop: ['cap_chown', 'MKNOD'] });
    assert.ok(r.includes('CAP_NET_ADMIN') && !r.includes('CAP_CHOWN') && !r.includes('CAP_MKNOD'));
    assert.equal(r.length, 13);
    assert.deepEqual(resolveCapabilities({ capDrop: ['ALL'], capAdd: ['kill'] }), ['CAP_KILL']);
    assert.equal(resolveCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }).length, 40);
    assert.equal(resolveCapabilities({ privileged: true, capDrop: ['ALL'] }).length, 41);
    assert.equal(capabilityMask(resolveCapabilities({ capAdd: ['ALL'] })), (1n << 41n) - 1n);
  });
});

describe('capabilities the daemon lacks', () => {
  // Root on these machines lacks CAP_SYS_RESOURCE (24): "all" means all the daemon holds.
  const withoutSysResource = ((1n << 41n) - 1n) & ~(1n << 24n);

  it('leaves them out of --privileged and --cap-add ALL', () => {
    const priv = resolveCapabilities({ privileged: true, available: withoutSysResource });
    assert.ok(!priv.includes('CAP_SYS_RESOURCE'));
    assert.ok(priv.includes('CAP_SYS_ADMIN'));
    assert.equal(priv.length, 40);
    const all = resolveCapabilities({ capAdd: ['ALL'], capDrop: ['NET_RAW'], available: withoutSysResource });
    assert.ok(!all.includes('CAP_SYS_RESOURCE') && !all.includes('CAP_NET_RAW'));
  });
});
