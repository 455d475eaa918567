/**
 * TTYs, attach and detach, through a real pseudo-terminal (python3's pty,
 * test/helpers/pty.ts), with berth's CLI and the real docker CLI against a
 * private berthd: `run -it` (typed input comes back, `stty size` follows the
 * outer terminal, `exit` stops the container), the detach keys, `attach`
 * getting the shell back, several clients at once, `run -i` with piped
 * stdin, and `logs -f` streaming live until the container ends.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, DOCKER, ensureBuilt } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { type PtyProcess, spawnPty } from '../helpers/pty';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

const REPO = path.resolve(__dirname, '..', '..');
const DOCKER_ENV = { DOCKER_CONFIG: path.join(REPO, 'test', 'fixtures', 'docker-config'), DOCKER_CLI_HINTS: 'false' };
/** busybox ash's prompt (it redraws it as `\r/ # \x1b[J` after a resize). */
const PROMPT = /\/ # /;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(
  'TTYs and attach through a real pty',
  {
    skip: requireAll(
      requireRoot(),
      requireFile(PROBE, 'the probe (make -C native)'),
      requireCommand('busybox'),
      requireCommand('python3'),
    ),
  },
  () => {
    let d: TestDaemon;
    const b = (args: string[], input?: string) => berth(d.host, args, input === undefined ? {} : { input });
    const berthPty = (args: string[], size: { rows?: number; cols?: number } = {}): PtyProcess =>
      spawnPty(process.execPath, [path.join(REPO, 'bin', 'berth'), '-H', d.host, ...args], size);
    const dockerPty = (args: string[], size: { rows?: number; cols?: number } = {}): PtyProcess =>
      spawnPty(DOCKER, ['-H', d.host, ...args], { ...size, env: DOCKER_ENV });
    const state = async (name: string) =>
      (await b(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).stdout.trim();
    const ptys: PtyProcess[] = [];
    const track = (p: PtyProcess) => {
      ptys.push(p);
      return p;
    };
    /** Types a line and waits for what it prints. */
    const typeAndSee = async (t: PtyProcess, line: string, expect: RegExp) => {
      const from = t.output.length;
      t.write(`${line}\r`);
      return t.waitFor(expect, { from });
    };

    before(async () => {
      ensureBuilt();
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      for (const p of ptys) p.kill();
      const left = await b(['ps', '-aq']);
      if (left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      assert.equal((await b(['ps', '-aq'])).stdout.trim(), '', 'no container left behind');
      await d?.stop();
    });

    it('berth run -it: typed input comes back, stty size follows the terminal, exit stops the container', async () => {
      const name = 'tty-run';
      const t = track(berthPty(['run', '-it', '--name', name, PROBE_IMAGE, 'sh'], { rows: 30, cols: 100 }));
      await t.waitFor(PROMPT);
      // Echo latency: one key to its echo through CLI → API → shim → pty and back.
      const samples: number[] = [];
      for (const key of 'abc') {
        const from = t.output.length;
        const t0 = process.hrtime.bigint();
        t.write(key);
        await t.waitFor(new RegExp(key), { from });
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      t.write('\x15'); // ^U: clear the line
      console.log(`run -it echo latency (ms): ${samples.map((s) => s.toFixed(1)).join(' ')}`);
      await typeAndSee(t, 'echo $((6*7))', /42/);
      await typeAndSee(t, 'stty size', /30 100/);
      await typeAndSee(t, 'tty', /\/dev\/pts\/0/);
      t.resize(40, 120);
      // The CLI sees SIGWINCH and resizes the container's pty.
      let ok = false;
      for (let i = 0; i < 20 && !ok; i++) {
        await sleep(100);
        ok = /40 120/.test(await typeAndSee(t, 'stty size', /\d+ \d+/));
      }
      assert.ok(ok, `stty size never became 40 120:\n${JSON.stringify(t.output)}`);
      t.write('exit 0\r');
      assert.equal(await t.exited, 0);
      assert.equal(await state(name), 'exited 0');
      // The log has Docker's TTY format: one stream, \r\n line ends.
      const logs = await b(['logs', name]);
      assert.match(logs.stdout, /42\r\n/);
      await b(['rm', name]);
    });

    it('ctrl-p ctrl-q detaches and leaves the container running; berth attach gets the shell back', async () => {
      const name = 'tty-detach';
      const t = track(berthPty(['run', '-it', '--name', name, PROBE_IMAGE, 'sh']));
      await t.waitFor(PROMPT);
      await typeAndSee(t, 'X=kept', PROMPT);
      t.write('\x10\x11');
      assert.equal(await t.exited, 0, 'run -it returns 0 when the user detaches');
      assert.equal(await state(name), 'running 0');

      const a = track(berthPty(['attach', name], { rows: 25, cols: 90 }));
      // docker attach redraws with a resize (h+1/w+1, then the real size): the prompt comes back.
      await a.waitFor(PROMPT);
      await typeAndSee(a, 'echo $X', /kept/);
      await typeAndSee(a, 'stty size', /25 90/);
      a.write('\x10\x11');
      assert.equal(await a.exited, 1);
      assert.match(a.output, /read escape sequence/);
      assert.equal(await state(name), 'running 0');

      // Two clients at once: both see what one of them types.
      const one = track(berthPty(['attach', name]));
      const two = track(berthPty(['attach', name]));
      await one.waitFor(PROMPT);
      await two.waitFor(PROMPT);
      const from = two.output.length;
      await typeAndSee(one, 'echo both-$((1+1))', /both-2/);
      await two.waitFor(/both-2/, { from });
      one.write('exit 3\r');
      assert.equal(await one.exited, 3);
      assert.equal(await two.exited, 3);
      assert.equal(await state(name), 'exited 3');
      await b(['rm', name]);
    });

    it('custom detach keys, and an invalid spec is refused by the API with 400', async () => {
      const name = 'tty-keys';
      const t = track(berthPty(['run', '-it', '--detach-keys', 'ctrl-a,x', '--name', name, PROBE_IMAGE, 'sh']));
      await t.waitFor(PROMPT);
      t.write('\x10\x11'); // not the keys now: goes to the shell
      await typeAndSee(t, 'echo still-here', /still-here/);
      t.write('\x01x');
      assert.equal(await t.exited, 0);
      assert.equal(await state(name), 'running 0');
      const r = await d.request('POST', `/containers/${name}/attach?stream=1&stdin=1&detachKeys=ctrl-P`);
      assert.equal(r.status, 400);
      assert.match(r.text, /Invalid detach keys \(ctrl-P\) provided/);
      await b(['rm', '-f', name]);
    });

    it('resize: 200 for a running TTY container, 409 when stopped, 400 for bad sizes', async () => {
      const id = (await b(['run', '-dit', PROBE_IMAGE, 'sh'])).stdout.trim();
      assert.equal((await d.request('POST', `/containers/${id}/resize?h=33&w=77`)).status, 200);
      assert.equal((await d.request('POST', `/containers/${id}/resize?h=x&w=77`)).status, 400);
      await b(['stop', '-t', '0', id]);
      assert.equal((await d.request('POST', `/containers/${id}/resize?h=33&w=77`)).status, 409);
      await b(['rm', id]);
    });

    it('echo hi | berth run -i IMAGE cat prints hi (stdin closed at its end)', async () => {
      const r = await b(['run', '--rm', '-i', PROBE_IMAGE, 'cat'], 'hi\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hi\n');
      const early = await b(['run', '--rm', PROBE_IMAGE, 'sh', '-c', 'echo first; echo second >&2']);
      assert.equal(early.stdout, 'first\n', 'output written before the daemon attached is not lost');
      assert.equal(early.stderr, 'second\n');
    });

    it('logs -f streams live output and ends when the container ends', async () => {
      const id = (
        await b(['run', '-d', PROBE_IMAGE, 'sh', '-c', 'echo one; sleep 1; echo two; sleep 1; echo three'])
      ).stdout.trim();
      const t = track(berthPty(['logs', '-f', id]));
      await t.waitFor(/one/);
      const t0 = Date.now();
      await t.waitFor(/two/);
      assert.ok(!/three/.test(t.output), 'lines arrive as they are written');
      await t.waitFor(/three/);
      assert.equal(await t.exited, 0);
      assert.ok(Date.now() - t0 < 5000);
      await b(['rm', id]);
    });

    it(
      'docker run -it and docker attach (the real docker CLI)',
      { skip: existsSync(DOCKER) ? false : 'needs the docker CLI' },
      async () => {
        const name = 'tty-docker';
        const t = track(dockerPty(['run', '-it', '--name', name, PROBE_IMAGE, 'sh'], { rows: 28, cols: 99 }));
        await t.waitFor(PROMPT);
        await typeAndSee(t, 'echo $((6*7))', /42/);
        await typeAndSee(t, 'stty size', /28 99/);
        t.write('\x10\x11');
        assert.equal(await t.exited, 0);
        assert.equal(await state(name), 'running 0');
        const a = track(dockerPty(['attach', name], { rows: 26, cols: 91 }));
        await a.waitFor(PROMPT);
        await typeAndSee(a, 'stty size', /26 91/);
        a.write('exit 7\r');
        assert.equal(await a.exited, 7);
        assert.equal(await state(name), 'exited 7');
        const r = await b(['rm', name]);
        assert.equal(r.code, 0);
      },
    );
  },
);
