/**
 * Who is on the other end of a call, from its TLS client certificate.
 *
 * A node's certificate carries exactly one SAN URI
 * relaycast://<cluster>/node/<id>, a relay's relaycast://<cluster>/relay/<id>.
 * Over a plaintext port there is no certificate and nothing is checked (the
 * operator chose --plaintext); over TLS a member may act only as the member
 * its certificate names, and anything else is PERMISSION_DENIED.
 */
import type { PeerCertificate } from 'node:tls';

/** What grpc-js's call.getAuthContext() returns (not exported by grpc-js 1.14). */
export interface AuthContext {
  transportSecurityType?: string;
  sslPeerCertificate?: PeerCertificate;
}

export type MemberRole = 'node' | 'relay';

export interface MemberIdentity {
  readonly role: MemberRole;
  readonly clusterId: string;
  readonly id: string;
  /** relaycast://<cluster>/<role>/<id> */
  readonly uri: string;
}

export type PeerAuth =
  /** Plaintext port: nothing to check. */
  | { readonly secure: false }
  /** TLS: `identity` is undefined when the certificate names no relaycast member (an operator's, say) or more than one. */
  | { readonly secure: true; readonly identity: MemberIdentity | undefined; readonly subject: string };

const ID = '[A-Za-z0-9][A-Za-z0-9._-]{0,62}';
const URI_PATTERN = new RegExp(`^URI:relaycast://(${ID})/(node|relay)/(${ID})$`);

export function identityUri(role: MemberRole, clusterId: string, id: string): string {
  return `relaycast://${clusterId}/${role}/${id}`;
}

/**
 * The relaycast identities in a subjectaltname string as Node prints it
 * ("URI:relaycast://default/node/n1, DNS:localhost, IP Address:127.0.0.1").
 * Entries Node had to quote (they contain a comma or quote) never match.
 */
export function identitiesOfSan(san: string | undefined): MemberIdentity[] {
  if (san === undefined || san === '') return [];
  const found: MemberIdentity[] = [];
  for (const entry of san.split(', ')) {
    const match = URI_PATTERN.exec(entry.trim());
    if (match === null) continue;
    const [, clusterId, role, id] = match as unknown as [string, string, MemberRole, string];
    found.push({ role, clusterId, id, uri: identityUri(role, clusterId, id) });
  }
  return found;
}

/** The peer of a server call (anything with grpc-js's getAuthContext). */
export function peerAuth(call: { getAuthContext?: () => AuthContext | null }): PeerAuth {
  const context = call.getAuthContext?.() ?? null;
  if (context === null || context.transportSecurityType !== 'ssl') return { secure: false };
  const cert = context.sslPeerCertificate;
  const named = identitiesOfSan(cert?.subjectaltname);
  const subject = cert?.subject?.CN ?? '';
  return { secure: true, identity: named.length === 1 ? named[0] : undefined, subject: typeof subject === 'string' ? subject : subject.join(',') };
}

function described(auth: Extract<PeerAuth, { secure: true }>): string {
  if (auth.identity !== undefined) return `the client certificate names ${auth.identity.uri}`;
  return `the client certificate${auth.subject === '' ? '' : ` (CN ${auth.subject})`} names no relaycast member (it needs exactly one SAN URI relaycast://<cluster>/node/<id> or relaycast://<cluster>/relay/<id>)`;
}

/**
 * Undefined when the peer may act as member `<clusterId>/<id>` of `role`;
 * otherwise the reason, for a PERMISSION_DENIED status.
 */
export function refuseUnlessMember(auth: PeerAuth, role: MemberRole, clusterId: string, id: string): string | undefined {
  if (!auth.secure) return undefined;
  const identity = auth.identity;
  if (identity !== undefined && identity.role === role && identity.clusterId === clusterId && identity.id === id) return undefined;
  return `${described(auth)}; it may not act as ${role} ${clusterId}/${id}`;
}

/** Undefined when the peer is a relay (any id) over TLS, or the port is plaintext; otherwise the reason. */
export function refuseUnlessRelay(auth: PeerAuth): string | undefined {
  if (!auth.secure) return undefined;
  if (auth.identity?.role === 'relay') return undefined;
  return `${described(auth)}; only a relay's certificate may open a relay link`;
}
