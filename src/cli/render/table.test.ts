import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth, renderTable, TabWriter, tabwrite } from './table';

describe('TabWriter', () => {
  it('aligns columns with docker settings (minwidth 10, padding 3)', () => {
    const out = tabwrite('REPOSITORY\tTAG\tSIZE\nbusybox\tlatest\t4.26MB\nverylongrepository/name\t1\t1GB\n');
    assert.equal(
      out,
      [
        'REPOSITORY                TAG       SIZE',
        'busybox                   latest    4.26MB',
        'verylongrepository/name   1         1GB',
        '',
      ].join('\n'),
    );
  });

  it('does not pad the last cell of a line (it is not tab-terminated)', () => {
    assert.equal(tabwrite('a\tb\n'), 'a         b\n');
    assert.equal(tabwrite('a\tb'), 'a         b');
  });

  it('pads empty cells and keeps column blocks separate', () => {
    // the second column exists only in the first two lines
    const out = tabwrite('aaaa\tbbb\tc\naa\tb\tdd\nx\n');
    assert.equal(out, 'aaaa      bbb       c\naa        b         dd\nx\n');
    assert.equal(tabwrite('\tx\n'), '          x\n');
  });

  it('supports other settings', () => {
    assert.equal(tabwrite('a\tbb\nccc\td\n', { minWidth: 0, padding: 1 }), 'a   bb\nccc d\n');
    assert.equal(tabwrite('a\tb\nccc\td\n', { minWidth: 0, padding: 1, alignRight: true }), '   ab\n cccd\n');
    assert.equal(tabwrite('a\tb\n', { minWidth: 0, padding: 1, tabWidth: 8, padChar: '\t' }), 'a\tb\n');
  });

  it('writes incrementally and empties on flush', () => {
    const w = new TabWriter();
    w.write('ID\t');
    w.write('NAME\n1\tx\n');
    assert.equal(w.flush(), 'ID        NAME\n1         x\n');
    assert.equal(w.flush(), '');
  });

  it('counts wide characters twice', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('é'), 1);
    assert.equal(tabwrite('日本語ラベル\tx\nab\ty\n'), '日本語ラベル   x\nab             y\n');
  });

  it('renderTable joins rows of cells', () => {
    assert.equal(renderTable([]), '');
    assert.equal(
      renderTable([
        ['A', 'B'],
        ['1', '2'],
      ]),
      'A         B\n1         2\n',
    );
  });
});
