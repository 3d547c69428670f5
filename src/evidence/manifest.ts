/** SHA256SUMS in the format GNU `sha256sum -c` reads, and its Ed25519 signature (RFC 8032, node:crypto). */

import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * One line per file, `<hex>  <name>` (two spaces: text mode, as sha256sum writes). Bundle names hold no backslash or
 * line break (bundleNames), so no line needs sha256sum's escaped form.
 */
export function sumsText(entries: { name: string; sha256: string }[]): string {
  return entries.map(({ name, sha256 }) => `${sha256}  ${name}\n`).join('');
}

/** Reads a SHA256SUMS text back; null when a line is not in the format (the file was altered). */
export function parseSums(text: string): { name: string; sha256: string }[] | null {
  const out: { name: string; sha256: string }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m === null) return null;
    out.push({ name: m[2]!, sha256: m[1]! });
  }
  return out;
}

/** The Ed25519 signature of `message` with the PEM private key `keyPem`, base64, one line. Throws on a key that is not Ed25519. */
export function signText(message: Uint8Array, keyPem: string): string {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519`);
  return `${sign(null, message, key).toString('base64')}\n`;
}

/** True when `signature` (base64, as signText writes it) is the Ed25519 signature of `message` under the PEM public key. */
export function checkSignature(message: Uint8Array, signature: string, keyPem: string): boolean {
  const key = createPublicKey(keyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519`);
  const sig = Buffer.from(signature.trim(), 'base64');
  return sig.length === 64 && verify(null, message, key, sig);
}
