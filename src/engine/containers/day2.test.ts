import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import { parseNetDev, parseProcStat } from '../../host/proc';
import { defaultContainerConfig, defaultHostConfig } from './defaults';
import { parsePsOutput, psArguments, psPidsArg, validatePsArgs } from './top';
import { applyUpdate } from './update';

describe('top', () => {
  const ps = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 08:00 ?        00:00:01 /sbin/init splash',
    'root         100      50  0 08:01 ?        00:00:00 sleep 100',
    'root         101     100  0 08:01 ?        00:00:00 sh -c echo  hi',
    '',
  ].join('\n');

  it('keeps the rows of the container and joins the command fields', () => {
    const r = parsePsOutput(ps, [100, 101]);
    assert.deepEqual(r.titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(r.processes, [
      ['root', '100', '50', '0', '08:01', '?', '00:00:00', 'sleep 100'],
      ['root', '101', '100', '0', '08:01', '?', '00:00:00', 'sh -c echo hi'],
    ]);
  });

  it('keeps thread rows after a kept process', () => {
    const threads = 'PID TID CMD\n100 - a\n- 102 t\n200 - b\n- 201 u\n';
    assert.deepEqual(parsePsOutput(threads, [100]).processes, [
      ['100', '-', 'a'],
      ['-', '102', 't'],
    ]);
  });

  it('needs a PID column', () => {
    assert.throws(() => parsePsOutput('USER CMD\nroot x\n', [1]), /PID field/);
  });

  it('defaults to -ef, adds -q with the pids, refuses renaming PID', () => {
    assert.deepEqual(psArguments(''), ['-ef']);
    assert.deepEqual(psArguments('-o pid,comm'), ['-o', 'pid,comm']);
    assert.equal(psPidsArg([1, 2, 3]), '-q1,2,3');
    assert.doesNotThrow(() => validatePsArgs('-o pid=PID'));
    assert.throws(
      () => validatePsArgs('-o comm= PID'),
      (err) => isEngineError(err, 'invalid-argument'),
    );
  });
});

describe('update', () => {
  const config = defaultContainerConfig({ hostname: 'abc' });
  const id = 'c'.repeat(64);

  it('changes what is given and keeps the rest', () => {
    const hc = defaultHostConfig();
    hc.resources.cpuShares = 512;
    const out = applyUpdate(
      id,
      hc,
      config,
      { memory: 64 << 20, pidsLimit: 50, restartPolicy: { name: 'always', maximumRetryCount: 0 } },
      4,
    );
    assert.equal(out.resources.memory, 64 << 20);
    assert.equal(out.resources.pidsLimit, 50);
    assert.equal(out.resources.cpuShares, 512);
    assert.deepEqual(out.restartPolicy, { name: 'always', maximumRetryCount: 0 });
    assert.equal(hc.resources.memory, 0, 'the input is not modified');
  });

  it('refuses NanoCpus against a CPU quota and vice versa', () => {
    const hc = defaultHostConfig();
    const withCpus = applyUpdate(id, hc, config, { nanoCpus: 5e8 }, 4);
    assert.throws(
      () => applyUpdate(id, withCpus, config, { cpuQuota: 1000 }, 4),
      /Cannot update container c+: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set/,
    );
  });

  it('refuses a memory limit above the swap limit in place', () => {
    const hc = defaultHostConfig();
    hc.resources.memory = 32 << 20;
    hc.resources.memorySwap = 64 << 20;
    assert.throws(() => applyUpdate(id, hc, config, { memory: 128 << 20 }, 4), /memoryswap/);
    assert.doesNotThrow(() => applyUpdate(id, hc, config, { memory: 128 << 20, memorySwap: 256 << 20 }, 4));
  });

  it('applies the create-time rules (6MB minimum, AutoRemove and restart policies)', () => {
    assert.throws(
      () => applyUpdate(id, defaultHostConfig(), config, { memory: 1024 }, 4),
      (err) => isEngineError(err, 'invalid-argument') && /Minimum memory limit allowed is 6MB/.test(err.message),
    );
    const rm = defaultHostConfig();
    rm.autoRemove = true;
    assert.throws(
      () => applyUpdate(id, rm, config, { restartPolicy: { name: 'always', maximumRetryCount: 0 } }, 4),
      /AutoRemove/,
    );
  });
});

describe('/proc readers', () => {
  it('sums the cpu line (ticks → ns) and counts cpuN lines', () => {
    const s = parseProcStat('cpu  10 0 10 80 0 0 0 5 0 0\ncpu0 5 0 5 40 0 0 0\ncpu1 5 0 5 40 0 0 0\nintr 1\n');
    assert.deepEqual(s, { systemCpuUsageNs: 100 * 1e7, onlineCpus: 2 });
  });

  it('reads interface counters without lo', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
      '  eth0:    1500      10    1    2    0     0          0         0      700       5    0    3    0     0       0          0',
    ].join('\n');
    assert.deepEqual(parseNetDev(text), {
      eth0: {
        rxBytes: 1500,
        rxPackets: 10,
        rxErrors: 1,
        rxDropped: 2,
        txBytes: 700,
        txPackets: 5,
        txErrors: 0,
        txDropped: 3,
      },
    });
  });
});
