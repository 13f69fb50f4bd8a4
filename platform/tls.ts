/**
 * Transport security for every relaycast gRPC port and link, from PEM files.
 *
 * The rule: a process runs with TLS when it is given --tls-cert-file,
 * --tls-key-file and --tls-ca-file, and without it only when --plaintext
 * (RELAYCAST_PLAINTEXT=true) says so explicitly; with neither it refuses to
 * start. With TLS every server port requires a client certificate that
 * chains to --tls-ca-file (mutual TLS), and every outgoing link presents the
 * process's own certificate and verifies the peer's against the same CA.
 *
 * Identity: a node's certificate carries the SAN URI
 * relaycast://<cluster>/node/<id>, a relay's relaycast://<cluster>/relay/<id>
 * (scripts/dev-certs.sh makes them; see docs/operations.md). The coordinator
 * and relays check it against what the peer claims (platform/peer-identity.ts).
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, type OptionSpec, type ConfigOf } from './config';
import { identitiesOfSan, identityUri, type MemberRole } from './peer-identity';


export type TransportRole = 'coordinator' | 'relay' | 'node' | 'gateway-sim';

const OPERATIONS_DOC = 'docs/operations.md';

/** The four transport options of a server command, documented for its role. */
export function transportOptions(role: TransportRole) {
  const cert: Record<TransportRole, string> = {
    coordinator: 'PEM certificate (chain) the coordinator presents on its port. With --tls-key-file and --tls-ca-file it turns on TLS with client certificates required.',
    relay: 'PEM certificate (chain) of this relay, presented on its port and on its link to the coordinator; its SAN URI must be relaycast://<cluster>/relay/<id>.',
    node: 'PEM certificate (chain) of this node, presented to relays, the coordinator (sessions and audience pages), the gateway and on its own port; its SAN URI must be relaycast://<cluster>/node/<id>.',
    'gateway-sim': 'PEM certificate (chain) the simulator presents on its gRPC port and (as HTTPS) on its webhook. With --tls-key-file it turns on TLS.',
  };
  const ca: Record<TransportRole, string> = {
    coordinator: 'PEM CA bundle that client certificates must chain to (nodes, relays, operators: every client needs one).',
    relay: 'PEM CA bundle: node certificates must chain to it, and the coordinator\'s certificate is verified against it.',
    node: 'PEM CA bundle that the relays\' and the coordinator\'s certificates are verified against (and, with the system roots, the gateway\'s unless --gateway-tls-ca-file).',
    'gateway-sim': 'PEM CA bundle; when given, callers must present a client certificate that chains to it (gRPC and HTTPS).',
  };
  return [
    { name: 'tlsCertFile', kind: 'path', default: '', doc: `${cert[role]} See ${OPERATIONS_DOC}.` },
    { name: 'tlsKeyFile', kind: 'path', default: '', doc: 'PEM private key of --tls-cert-file (keep it readable by this process only).' },
    { name: 'tlsCaFile', kind: 'path', default: '', doc: ca[role] },
    { name: 'plaintext', kind: 'bool', default: false, doc: 'Run without TLS: no encryption, no certificates. For loopback, demos and tests only; without it the process needs the --tls-* files and refuses to start with neither.' },
  ] as const satisfies readonly OptionSpec[];
}

/** The transport settings every command has (from transportOptions). */
export type TransportConfig = ConfigOf<ReturnType<typeof transportOptions>>;

/**
 * Relations between the transport options: TLS files or --plaintext, not
 * both, not neither; all of cert, key (and CA, except for the simulator).
 */
export function checkTransport(config: TransportConfig, role: TransportRole): void {
  const files = (['tlsCertFile', 'tlsKeyFile', 'tlsCaFile'] as const).filter((k) => config[k] !== '');
  if (config.plaintext) {
    if (files.length > 0) throw new ConfigError(`--plaintext (RELAYCAST_PLAINTEXT) and ${files.map(flagOf).join(', ')} exclude each other: choose TLS or plaintext`);
    return;
  }
  if (files.length === 0) {
    throw new ConfigError(`no transport security configured: give --tls-cert-file, --tls-key-file${role === 'gateway-sim' ? '' : ' and --tls-ca-file'} (PEM files; scripts/dev-certs.sh makes development ones, see ${OPERATIONS_DOC}), or --plaintext (RELAYCAST_PLAINTEXT=true) to run without TLS on a trusted network`);
  }
  const needed = role === 'gateway-sim' ? (['tlsCertFile', 'tlsKeyFile'] as const) : (['tlsCertFile', 'tlsKeyFile', 'tlsCaFile'] as const);
  const missing = needed.filter((k) => config[k] === '');
  if (missing.length > 0) throw new ConfigError(`TLS needs ${needed.map(flagOf).join(', ')}; missing ${missing.map(flagOf).join(', ')}`);
}

function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** PEM material loaded and checked at start-up. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Empty only for a gateway simulator without client certificates. */
  readonly ca: Buffer;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks the PEM files (undefined with --plaintext): the
 * certificate parses, is within its validity period and matches the key;
 * the CA parses; with `expect`, the certificate names exactly this member.
 */
export function loadTls(config: TransportConfig, expect?: { role: MemberRole; clusterId: string; id: string }, nowMs = Date.now()): TlsMaterial | undefined {
  if (config.plaintext) return undefined;
  const cert = readPem('--tls-cert-file', config.tlsCertFile);
  const key = readPem('--tls-key-file', config.tlsKeyFile);
  const ca = config.tlsCaFile === '' ? Buffer.alloc(0) : readCaFile('--tls-ca-file', config.tlsCaFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(`--tls-cert-file: ${config.tlsCertFile} is not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(`--tls-key-file: ${config.tlsKeyFile} is not a PEM private key (${(err as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new ConfigError(`--tls-key-file ${config.tlsKeyFile} is not the key of --tls-cert-file ${config.tlsCertFile}`);
  if (Date.parse(x509.validTo) < nowMs) throw new ConfigError(`--tls-cert-file: ${config.tlsCertFile} expired on ${x509.validTo}`);
  if (Date.parse(x509.validFrom) > nowMs) throw new ConfigError(`--tls-cert-file: ${config.tlsCertFile} is not valid before ${x509.validFrom}`);
  if (expect !== undefined) {
    const wanted = identityUri(expect.role, expect.clusterId, expect.id);
    const named = identitiesOfSan(x509.subjectAltName);
    if (named.length !== 1 || named[0]!.uri !== wanted) {
      const has = named.length === 0 ? 'no relaycast:// URI' : named.map((n) => n.uri).join(', ');
      throw new ConfigError(`--tls-cert-file: ${config.tlsCertFile} names ${has}, but this ${expect.role} is ${wanted} (--cluster, --id); its certificate needs exactly that SAN URI (scripts/dev-certs.sh, ${OPERATIONS_DOC})`);
    }
  }
  return { cert, key, ca };
}

/** A PEM CA bundle named by `flag`, checked to parse; ConfigError otherwise. */
export function readCaFile(flag: string, file: string): Buffer {
  const pem = readPem(flag, file);
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(`${flag}: ${file} is not a PEM certificate (${(err as Error).message})`);
  }
  return pem;
}

/** Server credentials: TLS with client certificates required when a CA is loaded; insecure with --plaintext. */
export function serverCredentials(material: TlsMaterial | undefined): grpc.ServerCredentials {
  if (material === undefined) return grpc.ServerCredentials.createInsecure();
  const requireClientCert = material.ca.length > 0;
  return grpc.ServerCredentials.createSsl(requireClientCert ? material.ca : null, [{ cert_chain: material.cert, private_key: material.key }], requireClientCert);
}

/** Channel credentials for a link to another relaycast process: our certificate, their CA. */
export function channelCredentials(material: TlsMaterial | undefined, roots?: Buffer): grpc.ChannelCredentials {
  if (material === undefined) return grpc.credentials.createInsecure();
  quietIpServerNameWarning();
  return grpc.credentials.createSsl(roots ?? material.ca, material.key, material.cert);
}

let warningFiltered = false;

/**
 * grpc-js sets the TLS server name to the target host even when it is an IP
 * address (127.0.0.1:7070), and Node warns about that once per process
 * (DEP0123) on stderr. Certificates are still checked against the IP SANs;
 * the warning only adds noise to logs and to the CLI's JSON errors, so drop
 * that one warning and pass every other one on.
 */
export function quietIpServerNameWarning(): void {
  if (warningFiltered) return;
  warningFiltered = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** The system's trusted roots plus `extra` (PEM), for peers outside the cluster such as the gateway. */
export function systemRootsWith(extra: Buffer | undefined): Buffer {
  const pems = [...tls.rootCertificates];
  if (extra !== undefined && extra.length > 0) pems.push(extra.toString('utf8'));
  return Buffer.from(pems.join('\n'));
}
