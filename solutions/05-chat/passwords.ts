/**
 * Passwords are never stored: only a slow, salted hash of each.
 *
 * scrypt is slow on purpose and needs memory, so guessing passwords from a stolen database
 * costs an attacker dearly; the random salt makes two users with the same password get
 * different hashes, so one guess cannot be tried against everyone at once.
 *
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** A string to store: `scrypt$<salt>$<hash>`, both base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` is the one `stored` was made from. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'));
  // Compare in constant time, so the time taken tells nothing about how much matched.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
