import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import { toExecConfig, toExecInspect, toExecStart } from './exec';

describe('exec conversions', () => {
  it('reads the docker CLI’s create body', () => {
    const c = toExecConfig({
      User: 'app',
      Privileged: false,
      Tty: true,
      ConsoleSize: [30, 100],
      AttachStdin: true,
      AttachStderr: true,
      AttachStdout: true,
      Detach: false,
      DetachKeys: '',
      Env: ['A=1'],
      WorkingDir: '/tmp',
      Cmd: ['sh', '-c', 'true'],
      Unknown: 'ignored',
    });
    assert.deepEqual(c, {
      cmd: ['sh', '-c', 'true'],
      env: ['A=1'],
      workingDir: '/tmp',
      user: 'app',
      privileged: false,
      tty: true,
      attachStdin: true,
      attachStdout: true,
      attachStderr: true,
      detachKeys: '',
      consoleSize: [30, 100],
    });
    assert.deepEqual(toExecConfig({ Cmd: null }).cmd, []);
    assert.equal(toExecConfig({ Cmd: ['x'], ConsoleSize: [0, 0] }).consoleSize, undefined);
  });

  it('rejects malformed bodies with 400s', () => {
    for (const body of [{ Cmd: 'x', Env: 'A=1' }, { Cmd: [1] }, { WorkingDir: 'rel' }, { ConsoleSize: [1] }, [1]]) {
      assert.throws(
        () => toExecConfig(body),
        (err: unknown) => isEngineError(err, 'invalid-argument'),
      );
    }
  });

  it('reads the start body (empty, detached, with a console size)', () => {
    assert.deepEqual(toExecStart(null), { detach: false, tty: false, consoleSize: undefined });
    assert.deepEqual(toExecStart({ Detach: true, Tty: false }), { detach: true, tty: false, consoleSize: undefined });
    assert.deepEqual(toExecStart({ Detach: false, Tty: true, ConsoleSize: [24, 80] }), {
      detach: false,
      tty: true,
      consoleSize: [24, 80],
    });
  });

  it('writes inspect with ExitCode null while unfinished', () => {
    const wire = toExecInspect({
      id: 'e1',
      containerId: 'c1',
      config: {
        cmd: ['sh', '-c', 'exit 3'],
        env: [],
        workingDir: '',
        user: '',
        privileged: true,
        tty: false,
        attachStdin: false,
        attachStdout: true,
        attachStderr: true,
        detachKeys: 'ctrl-x',
      },
      running: true,
      exitCode: null,
      pid: 77,
      entrypoint: 'sh',
      arguments: ['-c', 'exit 3'],
      user: '',
    });
    assert.deepEqual(wire, {
      ID: 'e1',
      Running: true,
      ExitCode: null,
      ProcessConfig: { tty: false, entrypoint: 'sh', arguments: ['-c', 'exit 3'], privileged: true, user: '' },
      OpenStdin: false,
      OpenStderr: true,
      OpenStdout: true,
      CanRemove: false,
      ContainerID: 'c1',
      DetachKeys: 'ctrl-x',
      Pid: 77,
    });
    assert.equal(JSON.stringify(wire).includes('"ExitCode":null'), true);
  });
});
