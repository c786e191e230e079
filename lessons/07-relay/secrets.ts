/**
 * Secrets are never stored, only hashes of them — the relay is the one machine everyone
 * can reach, so it is the one most likely to be broken into.
 *
 * - An agent's secret may have been chosen by a person: scrypt, slow and salted (lesson 05's
 *   passwords). It is checked once per login, never per request.
 * - Caller API keys and session tokens are 32 random bytes: nobody can guess them, so a fast
 *   hash (SHA-256) is enough — and it must be fast, it is checked on every query.
 *
 * Given whole: nothing to change here.
 *
 * @module
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, KEY_LENGTH, (error, key) => (error ? reject(error) : resolve(key))));
}

/** What the relay stores for an agent's secret: `scrypt$<salt>$<hash>`, both base64. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${(await scryptAsync(secret, salt)).toString('base64')}`;
}

/** True when `secret` is the one `stored` was made from (compared in constant time). */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** What the relay stores for a random key or token: `sha256$<hex>`. */
export function hashKey(key: string): string {
  return `sha256$${createHash('sha256').update(key).digest('hex')}`;
}

/** A new API key for a caller: 32 random bytes. */
export function newKey(): string {
  return randomBytes(32).toString('base64url');
}

/** A new session token for an agent that logged in: 32 random bytes. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A new correlation id: 16 random bytes, base64url. Random, never a counter: with a counter,
 * whoever sees id 41 can guess 42.
 */
export function newCorrelationId(): string {
  return randomBytes(16).toString('base64url');
}
