/** The part of Faye's API the benchmark uses (Faye ships no types). */
declare module 'faye' {
  import type http from 'node:http';
  class NodeAdapter {
    constructor(options: { mount: string; timeout?: number });
    attach(server: http.Server): void;
    getClient(): { publish(channel: string, data: unknown): unknown };
  }
  const faye: { NodeAdapter: typeof NodeAdapter };
  export default faye;
}
