import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevstackError } from './errors.js';
import { runCommand } from './run-command.js';

/** PEM files made by {@link generateCertificates} (all unencrypted, keys in PKCS#8). */
export interface GeneratedCertificates {
  /** The CA that signs the server and client certificates. */
  caFile: string;
  /** Server certificate for 127.0.0.1 and localhost, signed by `caFile`. */
  serverCertFile: string;
  serverKeyFile: string;
  /** `serverKeyFile` then `serverCertFile` in one file (what Kafka's PEM keystore reads). */
  serverKeyAndCertFile: string;
  /** Client certificate (mutual TLS), signed by `caFile`. */
  clientCertFile: string;
  clientKeyFile: string;
  /** A second CA that signed nothing here: a client trusting it must refuse the server. */
  otherCaFile: string;
}

/**
 * Generates a throw-away PKI in `dir` with `openssl` (for tests and the local stack only): a CA,
 * a server certificate whose names are 127.0.0.1 and localhost, a client certificate, and an
 * unrelated second CA. Throws a {@link DevstackError} when openssl is missing or fails.
 */
export async function generateCertificates(dir: string): Promise<GeneratedCertificates> {
  await mkdir(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const files: GeneratedCertificates = {
    caFile: path('ca.pem'),
    serverCertFile: path('server.pem'),
    serverKeyFile: path('server.key'),
    serverKeyAndCertFile: path('server-key-and-cert.pem'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client.key'),
    otherCaFile: path('other-ca.pem'),
  };
  const ca = { cert: files.caFile, key: path('ca.key') };
  await selfSignedCa('novamed-stream test CA', ca);
  await selfSignedCa('unrelated test CA', { cert: files.otherCaFile, key: path('other-ca.key') });
  await signedCertificate(
    'localhost',
    { cert: files.serverCertFile, key: files.serverKeyFile },
    ca,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await signedCertificate(
    'novamed-stream-client',
    { cert: files.clientCertFile, key: files.clientKeyFile },
    ca,
    'extendedKeyUsage=clientAuth\n',
  );
  await writeFile(
    files.serverKeyAndCertFile,
    `${await readFile(files.serverKeyFile, 'utf8')}${await readFile(files.serverCertFile, 'utf8')}`,
  );
  return files;
}

/** A certificate file and its key file. */
interface PemPair {
  cert: string;
  key: string;
}

/** A new key and a self-signed CA certificate named `/CN=<name>`, valid two days. */
function selfSignedCa(name: string, out: PemPair): Promise<void> {
  return openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    out.key,
    '-out',
    out.cert,
  ]);
}

/** A new key and a certificate for it signed by `ca`, with the given X.509v3 `extensions`. */
async function signedCertificate(
  name: string,
  out: PemPair,
  ca: PemPair,
  extensions: string,
): Promise<void> {
  const csr = `${out.cert}.csr`;
  const ext = `${out.cert}.ext`;
  await writeFile(ext, extensions);
  await openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    out.key,
    '-out',
    csr,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    out.cert,
  ]);
}

async function openssl(args: string[]): Promise<void> {
  const result = await runCommand('openssl', args, { timeoutMs: 30_000 });
  if (result?.code === 0) return;
  throw new DevstackError(
    result === undefined
      ? 'openssl was not found: it generates the test certificates.'
      : `openssl ${args[0]} failed: ${result.stderr.trim().split('\n').slice(-5).join('\n')}`,
    { hint: 'Install openssl (apt-get install openssl).' },
  );
}
