/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1
 * (openssl, installed by scripts/setup.sh test), for Redis TLS tests.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM of the CA that signed the server certificate. */
  ca: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Writes ca.crt, server.crt and server.key (SAN IP:127.0.0.1, DNS:localhost) into `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=featcache-test-ca']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.ext')]);
  return { ca: readFileSync(f('ca.crt'), 'utf8'), caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

/** redis-server settings for a TLS port beside the plain one (the tests' readiness checks use the plain port). */
export function tlsServerConfig(certs: TestCertificates, tlsPort: number): Record<string, string | number> {
  return {
    'tls-port': tlsPort,
    'tls-cert-file': certs.certFile,
    'tls-key-file': certs.keyFile,
    'tls-ca-cert-file': certs.caFile,
    'tls-auth-clients': 'no',
  };
}
