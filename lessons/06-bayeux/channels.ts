/**
 * Who wants a message on a channel: subscriptions by pattern, and the expansion of a
 * channel into every pattern that matches it — so that finding the recipients of a message
 * is a few map lookups, never a scan of every subscription.
 *
 * Your task: TODOs 1 to 3. `npm run verify -- 6` grades your work.
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
  // TODO 1: the channel itself; the channel with its last segment replaced by `*`; and `**`
  //   after every prefix of its segments, the empty one included (`/**`, `/a/**`, `/a/b/**`
  //   for `/a/b/c`). `channel.split('/').slice(1)` gives the segments. For now: only the
  //   channel itself, so no wildcard subscription ever matches.
  return [channel];
}

/** Every client's subscriptions, indexed both ways: by pattern (to deliver) and by client (to forget). */
export class Subscriptions {
  /** pattern → the clients subscribed to it. */
  readonly #byPattern = new Map<string, Set<string>>();
  /** client → its patterns. */
  readonly #byClient = new Map<string, Set<string>>();

  /** Subscribes `clientId` to `pattern` (a second time changes nothing). */
  subscribe(clientId: string, pattern: string): void {
    // TODO 2: keep both indexes up to date, here and in unsubscribe() and forget(): the
    //   pattern's set of clients, and the client's set of patterns (addTo and removeFrom,
    //   below, create and drop the sets). forget() uses the client's patterns to find the
    //   sets it must leave — no scan of every pattern.
    void clientId;
    void pattern;
  }

  unsubscribe(clientId: string, pattern: string): void {
    void clientId;
    void pattern;
  }

  /** Removes every subscription of `clientId`. */
  forget(clientId: string): void {
    void clientId;
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
    // TODO 3: look up each pattern of expand(channel) in #byPattern and collect its clients.
    //   A client subscribed to several matching patterns must appear once.
    void channel;
    return new Set();
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
