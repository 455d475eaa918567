import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExtraHost, parseResolvConf, renderHosts, renderResolvConf, upstreamsFromResolvConf } from './etc-files';

const HOST = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example lab.example\noptions edns0 trust-ad\n';

describe('resolv.conf', () => {
  it('parses and picks non-loopback upstreams', () => {
    assert.deepEqual(parseResolvConf(HOST), {
      nameservers: ['127.0.0.53', '10.0.0.2'],
      search: ['corp.example', 'lab.example'],
      options: ['edns0', 'trust-ad'],
    });
    assert.deepEqual(upstreamsFromResolvConf(HOST), [{ host: '10.0.0.2', port: 53 }]);
    assert.deepEqual(upstreamsFromResolvConf('nameserver 127.0.0.1\n'), []);
  });

  it('default bridge: the host file minus loopback nameservers, Google as the fallback', () => {
    const r = renderResolvConf({ host: HOST, embeddedDns: false });
    assert.match(r.content, /^nameserver 10\.0\.0\.2$/m);
    assert.doesNotMatch(r.content, /127\.0\.0\.53/);
    assert.match(r.content, /^search corp\.example lab\.example$/m);
    assert.match(r.content, /^options edns0 trust-ad$/m);
    const fallback = renderResolvConf({ host: 'nameserver 127.0.0.1\n', embeddedDns: false });
    assert.deepEqual(parseResolvConf(fallback.content).nameservers, ['8.8.8.8', '8.8.4.4']);
  });

  it('user networks: 127.0.0.11, host search/options plus ndots:0, host servers as upstreams', () => {
    const r = renderResolvConf({ host: HOST, embeddedDns: true });
    assert.deepEqual(parseResolvConf(r.content), {
      nameservers: ['127.0.0.11'],
      search: ['corp.example', 'lab.example'],
      options: ['edns0', 'trust-ad', 'ndots:0'],
    });
    assert.deepEqual(r.upstreams, ['10.0.0.2']);
    assert.match(r.content, /# ExtServers: \[10\.0\.0\.2\]/);
  });

  it('applies --dns, --dns-search and --dns-option', () => {
    const legacy = renderResolvConf({
      host: HOST,
      embeddedDns: false,
      dns: ['1.1.1.1'],
      dnsSearch: ['.'],
      dnsOptions: ['ndots:2'],
    });
    assert.deepEqual(parseResolvConf(legacy.content), { nameservers: ['1.1.1.1'], search: [], options: ['ndots:2'] });
    const user = renderResolvConf({ host: HOST, embeddedDns: true, dns: ['1.1.1.1'], dnsOptions: ['ndots:3'] });
    assert.deepEqual(parseResolvConf(user.content).options, ['ndots:3']);
    assert.deepEqual(user.upstreams, ['1.1.1.1']);
    assert.throws(() => renderResolvConf({ host: HOST, embeddedDns: false, dns: ['nope'] }), /not an ip address/);
  });
});

describe('hosts', () => {
  it('writes localhost, extra hosts (host-gateway) and the container address', () => {
    const text = renderHosts({
      hostname: 'c0ffee123456',
      addresses: ['172.18.0.2'],
      extraHosts: ['db:10.1.2.3', 'gw:host-gateway', 'v6=::1'],
      hostGateway: '172.17.0.1',
    });
    assert.equal(
      text,
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::\tip6-localnet',
        'ff00::\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        '10.1.2.3\tdb',
        '172.17.0.1\tgw',
        '::1\tv6',
        '172.18.0.2\tc0ffee123456',
        '',
      ].join('\n'),
    );
    assert.match(
      renderHosts({ hostname: 'h', domainname: 'example.org', addresses: ['10.0.0.2'], ipv6: false }),
      /^10\.0\.0\.2\th\.example\.org h$/m,
    );
    assert.throws(() => parseExtraHost('nohost'), /bad format/);
    assert.throws(() => parseExtraHost('x:host-gateway'), /host-gateway/);
  });
});
