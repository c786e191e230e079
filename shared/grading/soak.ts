/**
 * Machinery of the soak tests (lesson 04's in test/soak, lesson 09's in its grader): many
 * clients, many messages, disturbances on a fixed, seeded schedule, and posts repeated until
 * the server acknowledges them.
 *
 * @module
 */

/** A small seeded generator (mulberry32): the same seed drops the same clients at the same steps. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Posts `{ text }` to `<base>/messages` until the server answers 201, and resolves with the
 * stored message. `base(attempt)` names the server for each attempt (1, 2, …), so that a post
 * can move to another one while a server is down, restarting, or has no store. Throws once
 * `attempts` have failed. An acknowledged message must never be lost: that is what a soak checks.
 */
export async function postAcknowledged<M>(base: (attempt: number) => string, text: string, { attempts = 200, pauseMs = 5 } = {}): Promise<M> {
  let last = 'no answer';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(`${base(attempt)}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(5000),
      });
      if (response.status === 201) return (await response.json()) as M;
      last = `status ${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      // the server is down, restarting, or cut off: try again
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`"${text}" was never acknowledged (${attempts} attempts; the last answer: ${last})`);
}
