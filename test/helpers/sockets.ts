import net from 'node:net';

/** One HTTP request written by hand, so that its bytes (a raw JSON escape, say) are exactly what is sent. */
export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as is: write `\\ud800` here to send the six characters of a JSON escape. */
  body?: string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

function format(r: RawRequest, close = true): Buffer {
  const body = Buffer.from(r.body ?? '', 'utf8');
  const headers = {
    host: '127.0.0.1',
    ...(r.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(body.length) }),
    ...r.headers,
    connection: close ? 'close' : 'keep-alive',
  };
  const head = `${r.method ?? 'POST'} ${r.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  // Header values go out as UTF-8, so that a non-ASCII value reaches the server as the bytes a client would send.
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function parse(raw: Buffer): RawAnswer {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`not an HTTP answer: ${raw.toString('latin1').slice(0, 200)}`);
  const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  const text = body.toString('utf8');
  return {
    status: Number((statusLine ?? '').split(' ')[1]),
    headers,
    body: text,
    json: <T>() => JSON.parse(text) as T,
  };
}

/** Resolves with the first whole answer on the socket (framed by its Content-Length), leaving the socket open. */
function firstAnswer(socket: net.Socket): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const split = buffered.indexOf('\r\n\r\n');
      if (split < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(buffered.subarray(0, split).toString('latin1'));
      if (length === null) return reject(new Error('an answer without Content-Length'));
      if (buffered.length < split + 4 + Number(length[1])) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve(parse(buffered));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/**
 * Opens one connection per request and makes sure the server has taken each one (a GET /healthz on it),
 * then writes all the requests in one synchronous loop: the server reads them in the same turn of its
 * event loop, so that they meet in one group commit. Resolves with the answers in the order of the requests.
 */
export async function sendAtOnce(port: number, requests: readonly RawRequest[]): Promise<RawAnswer[]> {
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  await Promise.all(
    sockets.map((s) => {
      const answer = firstAnswer(s);
      s.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      return answer;
    }),
  );
  const answers = sockets.map(
    (s) =>
      new Promise<RawAnswer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.once('error', reject);
        s.once('end', () => {
          try {
            resolve(parse(Buffer.concat(chunks)));
          } catch (e) {
            reject(e);
          }
        });
      }),
  );
  const bytes = requests.map((r) => format(r));
  for (const [i, s] of sockets.entries()) s.write(bytes[i] as Buffer);
  return Promise.all(answers);
}

/** The answers in `raw`, one after another, each framed by its Content-Length. */
function parseAll(raw: Buffer): RawAnswer[] {
  const out: RawAnswer[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const split = rest.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length: *(\d+)/i.exec(rest.subarray(0, split).toString('latin1'));
    if (split < 0 || length === null) throw new Error(`cannot frame the answers: ${rest.toString('latin1').slice(0, 200)}`);
    const end = split + 4 + Number(length[1]);
    out.push(parse(rest.subarray(0, end)));
    rest = rest.subarray(end);
  }
  return out;
}

/** Writes every request on one connection in one write (HTTP/1.1 pipelining); resolves with the answers in order. */
export function sendPipelined(port: number, requests: readonly RawRequest[]): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      s.write(Buffer.concat(requests.map((r, i) => format(r, i === requests.length - 1))));
    });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', reject);
    s.once('end', () => {
      try {
        resolve(parseAll(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    });
  });
}
