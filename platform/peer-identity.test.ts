import { describe, expect, it } from 'vitest';
import { identitiesOfSan, peerAuth, refuseUnlessMember, refuseUnlessRelay, type PeerAuth } from './peer-identity';
import { checkTransport } from './tls';

const tlsPeer = (san: string, cn = 'x'): PeerAuth => peerAuth({ getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate: { subjectaltname: san, subject: { CN: cn } } as never }) });

describe('member identity from a certificate', () => {
  it('finds relaycast:// URIs among the SANs, and nothing in look-alikes', () => {
    expect(identitiesOfSan('URI:relaycast://default/node/n-1, DNS:localhost, IP Address:127.0.0.1')).toEqual([{ role: 'node', clusterId: 'default', id: 'n-1', uri: 'relaycast://default/node/n-1' }]);
    expect(identitiesOfSan('URI:relaycast://c/relay/r1')).toMatchObject([{ role: 'relay', clusterId: 'c', id: 'r1' }]);
    for (const san of ['URI:relaycast://client/operator', 'URI:relaycast://default/node/a/b', 'URI:"relaycast://default/node/a, URI:relaycast://default/node/b"', 'DNS:relaycast://default/node/a', 'URI:https://default/node/a', '']) {
      expect(identitiesOfSan(san), san).toEqual([]);
    }
  });

  it('a node may act only as itself; a certificate naming two members names none', () => {
    const a = tlsPeer('URI:relaycast://default/node/a');
    expect(refuseUnlessMember(a, 'node', 'default', 'a')).toBeUndefined();
    expect(refuseUnlessMember(a, 'node', 'default', 'b')).toBe('the client certificate names relaycast://default/node/a; it may not act as node default/b');
    expect(refuseUnlessMember(a, 'node', 'other', 'a')).toMatch(/may not act as node other\/a/);
    expect(refuseUnlessMember(a, 'relay', 'default', 'a')).toMatch(/may not act as relay default\/a/);
    expect(refuseUnlessRelay(a)).toMatch(/only a relay's certificate may open a relay link/);
    const two = tlsPeer('URI:relaycast://default/node/a, URI:relaycast://default/node/b', 'both');
    expect(refuseUnlessMember(two, 'node', 'default', 'a')).toMatch(/\(CN both\) names no relaycast member/);
    expect(refuseUnlessRelay(tlsPeer('URI:relaycast://default/relay/r1'))).toBeUndefined();
  });

  it('a plaintext port checks nothing', () => {
    const plain = peerAuth({ getAuthContext: () => ({ transportSecurityType: 'insecure' }) });
    expect(plain).toEqual({ secure: false });
    expect(refuseUnlessMember(plain, 'node', 'default', 'anyone')).toBeUndefined();
    expect(refuseUnlessRelay(plain)).toBeUndefined();
    expect(peerAuth({})).toEqual({ secure: false });
  });
});

describe('transport settings', () => {
  const none = { plaintext: false, tlsCertFile: '', tlsKeyFile: '', tlsCaFile: '' };
  it('needs TLS files or --plaintext, not both, not neither', () => {
    expect(() => checkTransport({ ...none, plaintext: true }, 'node')).not.toThrow();
    expect(() => checkTransport(none, 'coordinator')).toThrow(/no transport security configured: give --tls-cert-file, --tls-key-file and --tls-ca-file/);
    expect(() => checkTransport({ ...none, plaintext: true, tlsCaFile: 'ca.pem' }, 'relay')).toThrow(/--plaintext \(RELAYCAST_PLAINTEXT\) and --tls-ca-file exclude each other/);
    expect(() => checkTransport({ ...none, tlsCertFile: 'c', tlsKeyFile: 'k' }, 'node')).toThrow(/missing --tls-ca-file/);
    expect(() => checkTransport({ ...none, tlsCertFile: 'c', tlsKeyFile: 'k' }, 'gateway-sim')).not.toThrow();
    expect(() => checkTransport({ ...none, tlsCertFile: 'c', tlsKeyFile: 'k', tlsCaFile: 'ca' }, 'coordinator')).not.toThrow();
  });
});
