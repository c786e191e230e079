/**
 * Who wants a message on a channel: subscriptions by pattern, and the expansion of a
 * channel into every pattern that matches it — so that finding the recipients of a message
 * is a few map lookups, never a scan of every subscription.
 *
 * @module
 */

/**
 * The channel itself and every wildcard pattern that matches it, e.g. for `/a/b/c`:
 * `/a/b/c`, `/a/b/*`, `/**`, `/a/**`, `/a/b/**`.
 *
 * `*` stands for exactly one segment, so only the last segment can be replaced by it;
 * `**` stands for one segment or more, so it can replace any tail of the name.
 */
export function expand(channel: string): string[] {
  const segments = channel.split('/').slice(1);
  const patterns = [channel, `/${[...segments.slice(0, -1), '*'].join('/')}`];
  for (let kept = 0; kept < segments.length; kept++) {
    patterns.push(`/${[...segments.slice(0, kept), '**'].join('/')}`);
  }
  return patterns;
}

/** Every client's subscriptions, indexed both ways: by pattern (to deliver) and by client (to forget). */
export class Subscriptions {
  /** pattern → the clients subscribed to it. */
  readonly #byPattern = new Map<string, Set<string>>();
  /** client → its patterns. */
  readonly #byClient = new Map<string, Set<string>>();

  /** Subscribes `clientId` to `pattern` (a second time changes nothing). */
  subscribe(clientId: string, pattern: string): void {
    addTo(this.#byPattern, pattern, clientId);
    addTo(this.#byClient, clientId, pattern);
  }

  unsubscribe(clientId: string, pattern: string): void {
    removeFrom(this.#byPattern, pattern, clientId);
    removeFrom(this.#byClient, clientId, pattern);
  }

  /** Removes every subscription of `clientId`. */
  forget(clientId: string): void {
    for (const pattern of this.#byClient.get(clientId) ?? []) removeFrom(this.#byPattern, pattern, clientId);
    this.#byClient.delete(clientId);
  }

  has(clientId: string, pattern: string): boolean {
    return this.#byClient.get(clientId)?.has(pattern) ?? false;
  }

  /** How many patterns `clientId` is subscribed to. */
  countOf(clientId: string): number {
    return this.#byClient.get(clientId)?.size ?? 0;
  }

  /**
   * Every client subscribed to a pattern that matches `channel`, each **once**: a client
   * subscribed to both `/chat/*` and `/chat/**` gets a message on `/chat/room` one time.
   */
  recipients(channel: string): Set<string> {
    const found = new Set<string>();
    for (const pattern of expand(channel)) {
      for (const clientId of this.#byPattern.get(pattern) ?? []) found.add(clientId);
    }
    return found;
  }
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let values = index.get(key);
  if (!values) index.set(key, (values = new Set()));
  values.add(value);
}

/** Removes `value` from the set under `key`, and the key itself once its set is empty (no leak). */
function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const values = index.get(key);
  if (!values) return;
  values.delete(value);
  if (values.size === 0) index.delete(key);
}
