import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from './event-bus';
import { compileEventFilter, stripTag } from './filter';
import type { EngineEvent, EventInput } from './types';

function clockFrom(start: bigint): () => bigint {
  let t = start;
  return () => {
    t += 10n;
    return t;
  };
}

const container = (action: string, id = 'c1', attributes: Record<string, string> = {}): EventInput => ({
  type: 'container',
  action,
  actor: { id, attributes: { image: 'busybox:latest', name: 'web', ...attributes } },
});

function ev(input: EventInput): EngineEvent {
  return { ...input, scope: 'local', timeNano: 1n };
}

describe('EventBus', () => {
  it('keeps the last 256 events and replays only with since or until', () => {
    const bus = new EventBus({ nowNs: clockFrom(0n) });
    for (let i = 0; i < 300; i++) bus.publish(container(`a${i}`));
    assert.deepEqual(bus.subscribe().buffered, []);
    const all = bus.replay({ sinceNs: 0n });
    assert.equal(all.length, 256);
    assert.equal(all[0]?.action, 'a44');
    assert.equal(all.at(-1)?.action, 'a299');
  });

  it('replays the since/until window in order, filtered', () => {
    const bus = new EventBus({ nowNs: clockFrom(0n) });
    bus.publish(container('create')); // 10
    bus.publish(container('start')); // 20
    bus.publish(container('die', 'c2')); // 30
    bus.publish(container('destroy')); // 40
    const got = bus.replay({ sinceNs: 20n, untilNs: 30n }).map((e) => e.action);
    assert.deepEqual(got, ['start', 'die']);
    const only = bus.replay({ sinceNs: 0n, filter: compileEventFilter({ container: ['c2'] }) });
    assert.deepEqual(
      only.map((e) => e.action),
      ['die'],
    );
  });

  it('times are strictly increasing even when the clock stands still', () => {
    const bus = new EventBus({ nowNs: () => 5n });
    const a = bus.publish(container('a'));
    const b = bus.publish(container('b'));
    assert.ok(b.timeNano > a.timeNano);
  });

  it('delivers live events to subscribers until closed, honouring until and the filter', async () => {
    const bus = new EventBus({ nowNs: clockFrom(0n) });
    const sub = bus.subscribe({ filter: compileEventFilter({ event: ['start', 'die'] }), untilNs: 35n });
    bus.publish(container('create')); // 10, filtered out
    bus.publish(container('start')); // 20
    bus.publish(container('die')); // 30
    bus.publish(container('start')); // 40, after until
    assert.equal((await sub.next())?.action, 'start');
    assert.equal((await sub.next())?.action, 'die');
    const pending = sub.next();
    sub.close();
    assert.equal(await pending, undefined);
    assert.equal(bus.subscriberCount, 0);
  });

  it('iterates with for await and unsubscribes when the loop ends', async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    setImmediate(() => {
      bus.publish(container('one'));
      bus.publish(container('two'));
    });
    const seen: string[] = [];
    for await (const e of sub) {
      seen.push(e.action);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['one', 'two']);
    assert.equal(bus.subscriberCount, 0);
  });
});

describe('compileEventFilter (moby daemon/events/filter.go)', () => {
  const start = ev(container('start', 'abcdef123', { name: 'web', image: 'busybox:latest', tier: 'front' }));
  const tag = ev({ type: 'image', action: 'tag', actor: { id: 'sha256:1234', attributes: { name: 'me/app:v1' } } });
  const exec = ev(container('exec_start: sh -c true'));

  it('type, event and scope are exact', () => {
    assert.equal(compileEventFilter({ type: ['container'] })(start), true);
    assert.equal(compileEventFilter({ type: ['image'] })(start), false);
    assert.equal(compileEventFilter({ event: ['star'] })(start), false);
    assert.equal(compileEventFilter({ event: ['die', 'start'] })(start), true);
    assert.equal(compileEventFilter({ scope: ['swarm'] })(start), false);
  });

  it('exec_start/exec_create/health_status match the action with a prefix', () => {
    assert.equal(compileEventFilter({ event: ['exec_start'] })(exec), true);
    assert.equal(compileEventFilter({ event: ['exec_die'] })(exec), false);
  });

  it('container matches an ID prefix or the name', () => {
    assert.equal(compileEventFilter({ container: ['abc'] })(start), true);
    assert.equal(compileEventFilter({ container: ['web'] })(start), true);
    assert.equal(compileEventFilter({ container: ['other'] })(start), false);
  });

  it('image matches the container image or the image event name, with or without the tag', () => {
    assert.equal(compileEventFilter({ image: ['busybox'] })(start), true);
    assert.equal(compileEventFilter({ image: ['busybox:latest'] })(start), true);
    assert.equal(compileEventFilter({ image: ['me/app'] })(tag), true);
    assert.equal(compileEventFilter({ image: ['sha256:1234'] })(tag), true);
    assert.equal(compileEventFilter({ image: ['alpine'] })(start), false);
  });

  it('labels: key present or key=value, all must hold', () => {
    assert.equal(compileEventFilter({ label: ['tier'] })(start), true);
    assert.equal(compileEventFilter({ label: ['tier=front'] })(start), true);
    assert.equal(compileEventFilter({ label: ['tier=back'] })(start), false);
    assert.equal(compileEventFilter({ label: ['tier=front', 'zone'] })(start), false);
  });

  it('keys across are ANDed; unknown keys are ignored', () => {
    assert.equal(compileEventFilter({ type: ['container'], event: ['start'], bogus: ['x'] })(start), true);
    assert.equal(compileEventFilter({ type: ['container'], event: ['die'] })(start), false);
  });

  it('stripTag drops tags, digests and docker.io/library', () => {
    assert.equal(stripTag('busybox:1.36'), 'busybox');
    assert.equal(stripTag('localhost:5000/a/b:c'), 'localhost:5000/a/b');
    assert.equal(stripTag('localhost:5000/a'), 'localhost:5000/a');
    assert.equal(stripTag('docker.io/library/alpine:3@sha256:00'), 'alpine');
  });
});
