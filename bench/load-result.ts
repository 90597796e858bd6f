/** What a load run reports, whichever tool generated the load. Latencies are in milliseconds. */
export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  seconds: number;
  ok: number;
  non2xx: number;
  /** Connection, read and write errors and timeouts: requests that got no response at all. */
  socketErrors: number;
  /** null when no request succeeded. */
  p50: number | null;
  p99: number | null;
  /** Responses by status code, when the tool counts them. */
  statusCodes: Record<string, number>;
}

/** How a load run is configured, handed to the driver process as one JSON argument. */
export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** A file of requests, one per line: `<api key>\t<JSON body>`. */
  requestsFile: string;
}
