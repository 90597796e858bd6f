import net from 'node:net';

/*
 * HTTP/1.1 written and read by hand over a TCP socket, so that tests can send what an ordinary
 * client refuses to (raw bytes in the path, control characters in a header, a Content-Length that
 * lies, several requests back to back on one connection) and read every answer in order.
 * Only 127.0.0.1 is ever dialled.
 */

export const LOOPBACK = '127.0.0.1';

export interface RawRequest {
  method: string;
  /** The request target exactly as it goes on the wire (not normalised, not encoded). */
  target: string;
  /** Header lines as sent, in order; values are written as UTF-8 bytes. */
  headers: [string, string][];
  body?: Buffer | string;
  /** Omit the Content-Length header that is otherwise added for a body. */
  noContentLength?: boolean;
  /** Omit the Host header that is otherwise added. */
  noHost?: boolean;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header's values are joined with ", " (set-cookie with "\n"). */
  headers: Record<string, string>;
  body: Buffer;
}

/** The bytes of a request; adds Host and Content-Length unless told not to. */
export function serialize(request: RawRequest, port: number, keepAlive: boolean): Buffer {
  const body =
    request.body === undefined ? null : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const lines = [`${request.method} ${request.target} HTTP/1.1`];
  const names = new Set(request.headers.map(([n]) => n.toLowerCase()));
  if (!request.noHost && !names.has('host')) lines.push(`Host: ${LOOPBACK}:${port}`);
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (body !== null && !request.noContentLength && !names.has('content-length') && !names.has('transfer-encoding')) {
    lines.push(`Content-Length: ${body.length}`);
  }
  if (!names.has('connection')) lines.push(`Connection: ${keepAlive ? 'keep-alive' : 'close'}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return body === null ? head : Buffer.concat([head, body]);
}

/** Reads responses one after another from a byte stream; `bodiless` says which have no body (HEAD). */
export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);
  ended = false;

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next whole response, or null when more bytes are needed. Throws on bytes that are not HTTP. */
  next(bodiless: boolean): RawResponse | null {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.ended && this.buffer.length > 0)
          throw new Error(`a truncated response head: ${this.buffer.toString('latin1', 0, 200)}`);
        return null;
      }
      const head = this.buffer.toString('latin1', 0, end).split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
      if (m === null) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
      const status = Number(m[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}${name === 'set-cookie' ? '\n' : ', '}${value}`;
      }
      const rest = end + 4;
      if (status >= 100 && status < 200) {
        this.buffer = this.buffer.subarray(rest);
        continue;
      }
      if (bodiless || status === 204 || status === 304) {
        this.buffer = this.buffer.subarray(rest);
        return { status, headers, body: Buffer.alloc(0) };
      }
      if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
        const chunks: Buffer[] = [];
        let at = rest;
        for (;;) {
          const lineEnd = this.buffer.indexOf('\r\n', at);
          if (lineEnd < 0) return this.needMore();
          const size = Number.parseInt(this.buffer.toString('latin1', at, lineEnd), 16);
          if (!Number.isFinite(size)) throw new Error('a malformed chunk size');
          if (size === 0) {
            const trailerEnd = this.buffer.indexOf('\r\n\r\n', lineEnd);
            const simpleEnd = this.buffer.subarray(lineEnd, lineEnd + 4).equals(Buffer.from('\r\n\r\n'));
            const done = simpleEnd ? lineEnd + 4 : trailerEnd < 0 ? -1 : trailerEnd + 4;
            if (done < 0) return this.needMore();
            this.buffer = this.buffer.subarray(done);
            return { status, headers, body: Buffer.concat(chunks) };
          }
          if (this.buffer.length < lineEnd + 2 + size + 2) return this.needMore();
          chunks.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
          at = lineEnd + 2 + size + 2;
        }
      }
      const length = headers['content-length'];
      if (length !== undefined) {
        const n = Number(length);
        if (this.buffer.length < rest + n) return this.needMore();
        const body = Buffer.from(this.buffer.subarray(rest, rest + n));
        this.buffer = this.buffer.subarray(rest + n);
        return { status, headers, body };
      }
      // No length: the body runs to the end of the connection.
      if (!this.ended) return null;
      const body = Buffer.from(this.buffer.subarray(rest));
      this.buffer = Buffer.alloc(0);
      return { status, headers, body };
    }
  }

  private needMore(): null {
    if (this.ended) throw new Error('the connection ended inside a response body');
    return null;
  }
}

export interface Exchange {
  /** The answers, in the order of the requests; fewer than asked when the server closed first. */
  responses: RawResponse[];
  /** Whether the server closed the connection. */
  closed: boolean;
}

/**
 * Writes every request on one connection back to back (HTTP/1.1 pipelining), then reads the
 * answers in order until all have come or the server closes. Bounded by `timeoutMs`.
 */
export function exchange(
  port: number,
  requests: readonly RawRequest[],
  options: { timeoutMs?: number; keepAlive?: boolean; socket?: net.Socket } = {},
): Promise<Exchange> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keepAlive = options.keepAlive ?? requests.length > 1;
  return new Promise((resolve, reject) => {
    const socket = options.socket ?? net.connect({ host: LOOPBACK, port });
    const reader = new ResponseReader();
    const responses: RawResponse[] = [];
    let settled = false;
    const finish = (error: Error | null, closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', ended);
      socket.off('close', ended);
      socket.off('error', onError);
      if (error !== null) {
        socket.destroy();
        reject(error);
      } else {
        if (!keepAlive || closed) socket.destroy();
        resolve({ responses, closed });
      }
    };
    const drain = () => {
      try {
        while (responses.length < requests.length) {
          const method = (requests[responses.length] as RawRequest).method;
          const r = reader.next(method === 'HEAD');
          if (r === null) break;
          responses.push(r);
        }
      } catch (e) {
        finish(e as Error, true);
        return;
      }
      if (responses.length === requests.length) finish(null, reader.ended);
    };
    const timer = setTimeout(
      () => finish(new Error(`no complete answer within ${timeoutMs} ms (${responses.length}/${requests.length} read)`), true),
      timeoutMs,
    );
    function onData(chunk: Buffer) {
      reader.push(chunk);
      drain();
    }
    function ended() {
      reader.ended = true;
      drain();
      finish(null, true);
    }
    function onError(e: NodeJS.ErrnoException) {
      // The server may reset a connection it has answered and closed; what was read still counts.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') ended();
      else finish(e, true);
    }
    socket.on('data', onData);
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', onError);
    socket.write(Buffer.concat(requests.map((r) => serialize(r, port, keepAlive))));
  });
}

/** One request on its own connection (Connection: close). */
export async function send(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse | null> {
  const { responses } = await exchange(port, [request], { timeoutMs, keepAlive: false });
  return responses[0] ?? null;
}

/** Opens a keep-alive connection to 127.0.0.1. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The body as JSON, or undefined when it is not JSON. */
export function jsonOf(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
