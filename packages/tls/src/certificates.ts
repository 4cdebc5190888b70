import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { ResolvedTlsOptions } from './options.js';

/**
 * Holds the TLS material (certificate, key, CAs and protocol settings) new FTP sessions are built from.
 * The files are read when the store is made and again by {@link reload}; each load is checked by
 * building a throw-away context, so a missing file, a bad PEM or a key that does not match the
 * certificate is reported at startup (or by the reload) rather than at the first AUTH.
 */
export class CertificateStore {
  private material: Readonly<SecureContextOptions>;
  private loads = 1;

  constructor(private readonly options: ResolvedTlsOptions) {
    this.material = this.load();
  }

  /** The options every new session's TLS context is built from (certificates already read). */
  get contextOptions(): Readonly<SecureContextOptions> {
    return this.material;
  }

  /** How many times the material was loaded (1 after construction): lets logs and tests tell versions apart. */
  get generation(): number {
    return this.loads;
  }

  /**
   * Re-reads the files. Sessions that start afterwards use the new certificate; sessions already running
   * keep theirs (their TLS contexts are their own). On failure the previous material stays in force and
   * the error is thrown.
   */
  reload(): void {
    this.material = this.load();
    this.loads += 1;
  }

  private load(): Readonly<SecureContextOptions> {
    const o = this.options;
    const material: SecureContextOptions = { ...o.secureContext };
    if (o.certFile !== undefined) material.cert = readPem('certFile', o.certFile);
    if (o.keyFile !== undefined) material.key = readPem('keyFile', o.keyFile);
    if (o.caFile !== undefined) material.ca = readPem('caFile', o.caFile);
    else if (o.ca !== undefined)
      material.ca = typeof o.ca === 'string' || Buffer.isBuffer(o.ca) ? o.ca : [...o.ca];
    if (o.passphrase !== undefined) material.passphrase = o.passphrase;
    material.minVersion = o.minVersion;
    if (o.maxVersion !== undefined) material.maxVersion = o.maxVersion;
    if (o.ciphers !== undefined) material.ciphers = o.ciphers;
    try {
      createSecureContext(material);
    } catch (error) {
      const files = [o.certFile && `certFile ${o.certFile}`, o.keyFile && `keyFile ${o.keyFile}`]
        .filter(Boolean)
        .join(', ');
      const where = files === '' ? 'secureContext' : files;
      throw new Error(`invalid TLS certificate or key (${where}): ${describe(error)}`, { cause: error });
    }
    return Object.freeze(material);
  }
}

function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${option} ${path}: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
