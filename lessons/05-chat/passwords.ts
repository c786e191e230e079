/**
 * Passwords are never stored: only a slow, salted hash of each.
 *
 * scrypt is slow on purpose and needs memory, so guessing passwords from a stolen database
 * costs an attacker dearly; the random salt makes two users with the same password get
 * different hashes, so one guess cannot be tried against everyone at once.
 *
 * Your task: TODOs 1 and 2. The queue, the stand-in hash and the password rules are given.
 *
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Queue } from './limits.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './protocol.ts';

const KEY_LENGTH = 32;

/**
 * Two hashes at a time at most: the disk writes share Node's thread pool. At most 32 more
 * wait; past that a login or registration is answered 503 at once (see limits.ts).
 */
const hashing = new Queue(2, 32);

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return hashing.run(
    () =>
      new Promise((resolve, reject) =>
        scrypt(password.normalize('NFC'), salt, KEY_LENGTH, (error, key) => (error ? reject(error) : resolve(key))),
      ),
  );
}

/** A string to store: `scrypt$<salt>$<hash>`, both base64. */
export async function hashPassword(password: string): Promise<string> {
  // TODO 1: what to store for a password — scrypt (scryptAsync) with a salt of 16 fresh
  //   random bytes, never reused, so equal passwords get different hashes; as
  //   `scrypt$<salt>$<hash>` in base64, so that verifyPassword can find the salt again.
  void randomBytes;
  void scryptAsync;
  throw new Error(`hashPassword() is not written yet (lessons/05-chat/passwords.ts, TODO 1); ${password.length}`);
}

/** True when `password` is the one `stored` was made from. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // TODO 2: true only when `password` hashes, with the salt inside `stored`, to the hash
  //   inside `stored`. Compare in constant time (timingSafeEqual; lengths first), so the time
  //   taken does not tell how much of it matched. Anything malformed is simply false.
  void timingSafeEqual;
  void stored;
  return password === '\u0000never';
}

// ---------------------------------------------------------------------------------------
// Given: a stand-in hash for unknown names, and which passwords are accepted.

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password nobody knows, made once. A login for a name that does not exist
 * is checked against it, so that it costs the same scrypt as a wrong password: otherwise the
 * time of the answer (2 ms against 37 ms) tells an attacker which names exist.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('base64'));
  return dummy;
}

/** Among the most used passwords: the first ones an attacker tries. */
const COMMON_PASSWORDS = new Set([
  '12345678', '123456789', '1234567890', '12345678910', '87654321', '11111111', '00000000', '88888888',
  '66666666', '12341234', '11223344', '123123123', '147258369', 'password', 'password1', 'password123',
  'passw0rd', 'p@ssw0rd', 'qwertyui', 'qwerty123', 'qwertyuiop', '1q2w3e4r', '1qaz2wsx', 'zaq12wsx',
  'asdfghjk', 'asdfasdf', 'iloveyou', 'sunshine', 'princess', 'football', 'baseball', 'welcome1',
  'superman', 'starwars', 'trustno1', 'whatever', 'abcd1234', 'abc12345', 'a1b2c3d4', 'letmein1',
  'woaini1314', '5201314520', 'computer', 'internet', 'changeme', 'administrator', 'secret123',
]);

/** What is wrong with a new password, or undefined when it may be used. Lengths in characters (code points). */
export function passwordProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return '"password" must be text.';
  const length = [...raw].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) return `"password" must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`;
  if (COMMON_PASSWORDS.has(raw.toLowerCase())) return '"password" is one of the most common passwords, the first an attacker tries: choose another.';
  return undefined;
}
