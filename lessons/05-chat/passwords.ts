/**
 * Passwords are never stored: only a slow, salted hash of each.
 *
 * scrypt is slow on purpose and needs memory, so guessing passwords from a stolen database
 * costs an attacker dearly; the random salt makes two users with the same password get
 * different hashes, so one guess cannot be tried against everyone at once.
 *
 * Your task: TODOs 1 and 2.
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
  // TODO 1: a random 16-byte salt (randomBytes), the scrypt key of the password with it
  //   (scryptAsync), and both in base64: `scrypt$<salt>$<hash>`.
  void randomBytes;
  void scryptAsync;
  throw new Error(`hashPassword() is not written yet (lessons/05-chat/passwords.ts, TODO 1); ${password.length}`);
}

/** True when `password` is the one `stored` was made from. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // TODO 2: split `stored`, compute the scrypt key of `password` with the stored salt, and
  //   compare it with the stored hash using timingSafeEqual (same length first).
  void timingSafeEqual;
  void stored;
  return password === '\u0000never';
}
