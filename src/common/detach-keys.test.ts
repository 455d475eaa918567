import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetachKeyScanner, detachKeyBytes, parseDetachKeys } from './detach-keys';

describe('detach keys', () => {
  it("parses moby/term's syntax", () => {
    assert.deepEqual(detachKeyBytes('ctrl-p,ctrl-q'), [0x10, 0x11]);
    assert.deepEqual(detachKeyBytes('a'), [0x61]);
    assert.deepEqual(detachKeyBytes('ctrl-@'), [0]);
    assert.deepEqual(detachKeyBytes('ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_'), [1, 26, 27, 28, 29, 30, 31]);
    assert.deepEqual(detachKeyBytes('DEL,x'), [127, 0x78]);
  });

  it('refuses what moby refuses (case sensitive, no spaces, no empty keys)', () => {
    for (const bad of ['ctrl-P', 'ctrl-??', 'shift-a', 'ctrl-p, ctrl-q', 'ctrl-p,,ctrl-q', 'ab', 'é', 'del', ',']) {
      assert.equal(detachKeyBytes(bad), undefined, bad);
      assert.throws(() => parseDetachKeys(bad), /Invalid detach keys \(.*\) provided/);
    }
    assert.deepEqual(parseDetachKeys(''), [0x10, 0x11]);
    assert.deepEqual(parseDetachKeys(null), [0x10, 0x11]);
  });

  it('finds the sequence within and across chunks, holding back a possible prefix', () => {
    const s = new DetachKeyScanner([0x10, 0x11]);
    assert.deepEqual(s.feed(Buffer.from('ab')), { forward: Buffer.from('ab'), detached: false });
    assert.deepEqual(s.feed(Buffer.from('c\x10')), { forward: Buffer.from('c'), detached: false });
    assert.deepEqual(s.feed(Buffer.from('\x11rest')), { forward: Buffer.alloc(0), detached: true });
    const t = new DetachKeyScanner([0x10, 0x11]);
    assert.deepEqual(t.feed(Buffer.from('x\x10\x11y')), { forward: Buffer.from('x'), detached: true });
  });

  it('releases a prefix that turns out not to be the sequence', () => {
    const s = new DetachKeyScanner([0x10, 0x11]);
    assert.deepEqual(s.feed(Buffer.from('\x10')), { forward: Buffer.alloc(0), detached: false });
    assert.deepEqual(s.feed(Buffer.from('a')), { forward: Buffer.from('\x10a'), detached: false });
    // ctrl-p ctrl-p ctrl-q: the first ctrl-p goes through, the rest detaches
    const t = new DetachKeyScanner([0x10, 0x11]);
    assert.deepEqual(t.feed(Buffer.from('\x10\x10\x11')), { forward: Buffer.from('\x10'), detached: true });
    assert.deepEqual(new DetachKeyScanner([0x10, 0x11]).feed(Buffer.from('\x10')).forward.length, 0);
    const u = new DetachKeyScanner([0x10, 0x11]);
    u.feed(Buffer.from('\x10'));
    assert.deepEqual(u.flush(), Buffer.from('\x10'));
  });

  it('handles a one-key sequence and no keys', () => {
    assert.deepEqual(new DetachKeyScanner([0x61]).feed(Buffer.from('xay')), {
      forward: Buffer.from('x'),
      detached: true,
    });
    assert.deepEqual(new DetachKeyScanner([]).feed(Buffer.from('\x10\x11')), {
      forward: Buffer.from('\x10\x11'),
      detached: false,
    });
  });
});
