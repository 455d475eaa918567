import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import { applyChanges, expandWord, parseGoDuration, portSpecs, splitWords } from './changes';

const apply = (...changes: string[]) => applyChanges({}, changes);

describe('applyChanges', () => {
  it('sets CMD and ENTRYPOINT in JSON and shell form', () => {
    assert.deepEqual(apply('CMD ["sh", "-c", "echo hi"]').Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(apply('CMD echo "hi there"').Cmd, ['/bin/sh', '-c', 'echo "hi there"']);
    assert.deepEqual(apply('ENTRYPOINT ["/bin/app"]').Entrypoint, ['/bin/app']);
    assert.deepEqual(apply('entrypoint top -b').Entrypoint, ['/bin/sh', '-c', 'top -b']);
    // Not valid JSON: shell form, as in a Dockerfile.
    assert.deepEqual(apply("CMD ['x']").Cmd, ['/bin/sh', '-c', "['x']"]);
  });

  it('drops an inherited CMD when ENTRYPOINT is set without CMD', () => {
    assert.equal(applyChanges({ Cmd: ['sh'] }, ['ENTRYPOINT ["a"]']).Cmd, null);
    assert.deepEqual(applyChanges({ Cmd: ['sh'] }, ['CMD ["b"]', 'ENTRYPOINT ["a"]']).Cmd, ['b']);
  });

  it('parses ENV in both forms with quotes and expansion', () => {
    assert.deepEqual(apply('ENV a=1 b="two words" c=$a', 'ENV PATH /usr/bin:/bin').Env, [
      'a=1',
      'b=two words',
      'c=1',
      'PATH=/usr/bin:/bin',
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variables, not a template
    assert.deepEqual(apply('ENV x=1', 'ENV x=2 y=${x}-${z:-d}').Env, ['x=2', 'y=2-d']);
    assert.deepEqual(apply("ENV s='$HOME'").Env, ['s=$HOME']);
    assert.deepEqual(apply('ENV k  spaced  value ').Env, ['k=spaced  value']);
    assert.throws(() => apply('ENV a=1 b'), /can't find = in "b"/);
    assert.throws(() => apply('ENV'), /requires at least one argument/);
  });

  it('sets WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL, ONBUILD', () => {
    const c = apply(
      'WORKDIR /app',
      'WORKDIR sub/../x',
      'USER nobody',
      'LABEL a=b "c d"="e f"',
      'EXPOSE 80 53/udp 8000-8001',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache',
      'STOPSIGNAL SIGTERM',
      'ONBUILD RUN echo hi',
    );
    assert.equal(c.WorkingDir, '/app/x');
    assert.equal(c.User, 'nobody');
    assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e f' });
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data', '/logs', '/cache']);
    assert.equal(c.StopSignal, 'SIGTERM');
    assert.deepEqual(c.OnBuild, ['RUN echo hi']);
    assert.equal(apply('WORKDIR rel').WorkingDir, '/rel');
    assert.equal(apply('STOPSIGNAL 9').StopSignal, '9');
    assert.throws(() => apply('STOPSIGNAL NOPE'), /Invalid signal: NOPE/);
    assert.throws(() => apply('ONBUILD FROM x'), /FROM isn't allowed as an ONBUILD trigger/);
    assert.throws(() => apply('EXPOSE 80/xyz'), /Invalid proto/);
  });

  it('sets HEALTHCHECK', () => {
    assert.deepEqual(apply('HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/').Healthcheck, {
      Test: ['CMD-SHELL', 'curl -f http://x/'],
      Interval: 5e9,
      Retries: 3,
    });
    assert.deepEqual(apply('HEALTHCHECK NONE').Healthcheck, { Test: ['NONE'] });
  });

  it('rejects instructions that are not change commands, in dockerd words', () => {
    for (const bad of ['FROM busybox', 'RUN true', 'COPY a b', 'ADD x y', 'MAINTAINER me', 'ARG x']) {
      assert.throws(
        () => apply(bad),
        (err) =>
          isEngineError(err, 'invalid-argument') &&
          err.message === `${bad.split(' ')[0]} is not a valid change command`,
      );
    }
    assert.throws(() => apply('run true'), /^EngineError: run is not a valid change command$/);
  });

  it('does not modify its input and keeps unrelated fields', () => {
    const base = { Env: ['A=1'], Cmd: ['sh'], Hostname: '' };
    const out = applyChanges(base, ['ENV B=2']);
    assert.deepEqual(base.Env, ['A=1']);
    assert.deepEqual(out, { Env: ['A=1', 'B=2'], Cmd: ['sh'], Hostname: '' });
  });

  it('joins continuation lines and skips comments', () => {
    assert.deepEqual(apply('# comment\nENV a=1 \\\n  b=2').Env, ['a=1', 'b=2']);
  });
});

describe('word helpers', () => {
  it('splits words and expands', () => {
    assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', '"b c"', "'d e'", 'f\\ g']);
    const env = new Map([['X', 'v']]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variables, not a template
    assert.equal(expandWord('"$X"-\\$X-${X:+set}-${Y:-unset}', env), 'v-$X-set-unset');
    assert.throws(() => splitWords('"open'), /matching "/);
  });

  it('parses ports and durations', () => {
    assert.deepEqual(portSpecs('22'), ['22/tcp']);
    assert.throws(() => portSpecs('x'), /Invalid containerPort/);
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('250ms'), 250e6);
    assert.throws(() => parseGoDuration('5'), /invalid duration/);
  });
});
