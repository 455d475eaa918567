import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostnameFile, hostsFile, resolvConf, usesResolvedStub } from './etc-files';

describe('/etc files', () => {
  it('hostname', () => assert.equal(hostnameFile('abc123'), 'abc123\n'));

  it('hosts: localhost, IPv6 block, extra hosts, own name', () => {
    assert.equal(
      hostsFile({ hostname: 'abc123', domainname: '', extraHosts: ['db:10.0.0.2', 'v6=[fd00::1]'] }),
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::\tip6-localnet',
        'ff00::\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        '10.0.0.2\tdb',
        'fd00::1\tv6',
        '127.0.0.1\tabc123',
        '',
      ].join('\n'),
    );
    assert.match(
      hostsFile({ hostname: 'h', domainname: 'example.com', extraHosts: [] }),
      /127\.0\.0\.1\th\.example\.com h\n$/,
    );
    assert.equal(
      hostsFile({ hostname: 'h', domainname: '', extraHosts: ['x:1.2.3.4'], hostHosts: '127.0.0.1 me' }),
      '127.0.0.1 me\n1.2.3.4\tx\n',
    );
  });

  const host =
    '# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\nnameserver fd00::53\nsearch corp.example\noptions ndots:2\n';

  it('resolv.conf: loopback and IPv6 nameservers removed, search and options kept', () => {
    assert.equal(
      resolvConf({ host, dns: [], dnsSearch: [], dnsOptions: [], hostNetwork: false }),
      'nameserver 10.0.0.1\nsearch corp.example\noptions ndots:2\n',
    );
  });

  it("resolv.conf: Google's resolvers when nothing remains; overrides win", () => {
    assert.equal(
      resolvConf({ host: 'nameserver 127.0.0.1\n', dns: [], dnsSearch: [], dnsOptions: [], hostNetwork: false }),
      'nameserver 8.8.8.8\nnameserver 8.8.4.4\n',
    );
    assert.equal(
      resolvConf({ host, dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['rotate'], hostNetwork: false }),
      'nameserver 1.1.1.1\nsearch a.b\noptions rotate\n',
    );
  });

  it('resolv.conf with host networking keeps the host nameservers', () => {
    assert.match(
      resolvConf({ host, dns: [], dnsSearch: [], dnsOptions: [], hostNetwork: true }),
      /^nameserver 127\.0\.0\.53\n/,
    );
  });

  it('spots the systemd-resolved stub', () => {
    assert.equal(usesResolvedStub('nameserver 127.0.0.53\n'), true);
    assert.equal(usesResolvedStub(host), false);
  });
});
