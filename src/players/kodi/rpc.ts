/** Kodi JSON-RPC over HTTP (POST /jsonrpc with basic auth). Knows nothing of Node-RED. */
import axios, { AxiosInstance } from 'axios';
import { FixTexts, PlayerError, parseJsonBody, toPlayerError } from '../errors';
import { DEFAULT_LISTING_BYTES, SMALL_ANSWER_BYTES } from '../limits';
import { isObject } from '../../core/values';

export interface KodiEndpoint {
  name: string;
  host: string;
  httpPort: number;
  wsPort: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** Per-request timeout of the HTTP calls. */
  timeoutMs?: number;
  /** The largest answer to a listing call, in bytes (other calls: SMALL_ANSWER_BYTES). */
  maxListingBytes?: number;
}

/** Methods whose answers grow with the library: they get the listing cap, every other call the small one. */
export function isListingMethod(method: string): boolean {
  return (
    /^(VideoLibrary|AudioLibrary)\.Get\w+s$/.test(method) ||
    method === 'Files.GetDirectory' ||
    method === 'Files.GetSources'
  );
}

export const KODI_DEFAULTS = { httpPort: 8080, wsPort: 9090, timeoutMs: 10000 } as const;

export const KODI_FIXES: FixTexts = {
  config: 'Fill in the missing setting',
  unreachable:
    'Kodi is not running at that address, or the HTTP port is wrong: start Kodi, check the host and port, and ' +
    "that Settings → Services → Control → 'Allow remote control via HTTP' is on",
  timeout: 'Kodi did not answer in time: check that it is awake and not overloaded',
  auth: 'Check the username and password (Kodi: Settings → Services → Control)',
  protocol: "Check the HTTP port: it must be Kodi's web server port (default 8080), not another service",
  rpc: 'See the Kodi log (kodi.log) for details',
  tooLarge:
    "Check the HTTP port: it must be Kodi's web server port; a very large library may need a larger cap",
  websocket:
    "Turn on 'Allow remote control from applications on other systems' (Kodi: Settings → Services → Control) and " +
    'check the WebSocket port (default 9090); until then everything works over HTTP with polling',
};

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

const RPC_REASONS: Record<number, string> = {
  [-32600]: 'invalid request',
  [-32601]: 'method not found (is this Kodi too old?)',
  [-32602]: 'invalid parameters',
  [-32603]: 'internal error',
  [-32700]: 'parse error',
  [-32099]: 'bad client permission',
  [-32100]: 'failed to execute',
};

/** A JSON-RPC error returned by Kodi; `rpcCode` is the JSON-RPC error code. */
export class KodiRpcError extends PlayerError {
  readonly rpcCode: number;
  constructor(player: string, call: string, error: JsonRpcError) {
    // Kodi's own message is not repeated: a foreign server could put anything there.
    const base = RPC_REASONS[error.code] ?? 'an error this version of player-sync does not know';
    super({
      player,
      call,
      code: 'rpc',
      reason: `Kodi answered error ${error.code} (${base})`,
      fix: KODI_FIXES.rpc,
      retryable: false,
    });
    this.rpcCode = error.code;
  }
}

export function kodiLabel(e: Pick<KodiEndpoint, 'name' | 'host' | 'httpPort'>): string {
  const where = e.host ? `${e.host}:${e.httpPort}` : 'no host set';
  return e.name && e.name !== e.host ? `Kodi "${e.name}" (${where})` : `Kodi (${where})`;
}

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Checks a Kodi endpoint's settings; returns a PlayerError that names the fix, or undefined. */
export function validateKodiEndpoint(e: KodiEndpoint): PlayerError | undefined {
  const problem = (reason: string): PlayerError =>
    new PlayerError({
      player: kodiLabel(e),
      call: 'settings',
      code: 'config',
      reason,
      fix: KODI_FIXES.config,
    });
  if (!e.host || e.host.trim() === '') return problem('the host is empty');
  if (/[/\s]/.test(e.host)) return problem(`the host "${e.host}" must be a name or an IP address, not a URL`);
  for (const [label, port] of [
    ['HTTP port', e.httpPort],
    ['WebSocket port', e.wsPort],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return problem(`the ${label} "${port}" is not 1–65535`);
  }
  return undefined;
}

interface JsonRpcResponse {
  jsonrpc?: string;
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

export class KodiRpc {
  readonly label: string;
  private readonly http: AxiosInstance;
  private nextId = 1;

  constructor(readonly endpoint: KodiEndpoint) {
    this.label = kodiLabel(endpoint);
    const scheme = endpoint.tls ? 'https' : 'http';
    this.http = axios.create({
      baseURL: `${scheme}://${hostForUrl(endpoint.host)}:${endpoint.httpPort}`,
      timeout: endpoint.timeoutMs ?? KODI_DEFAULTS.timeoutMs,
      auth: endpoint.username
        ? { username: endpoint.username, password: endpoint.password ?? '' }
        : undefined,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxRedirects: 0,
      proxy: false,
    });
  }

  /** Calls one JSON-RPC method over HTTP and returns its result; every failure is a PlayerError. */
  async call<T>(method: string, params?: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const invalid = validateKodiEndpoint(this.endpoint);
    if (invalid) throw invalid;
    const id = this.nextId++;
    let data: unknown;
    try {
      const body = { jsonrpc: '2.0', method, params: params ?? {}, id };
      const maxContentLength = isListingMethod(method)
        ? (this.endpoint.maxListingBytes ?? DEFAULT_LISTING_BYTES)
        : SMALL_ANSWER_BYTES;
      const res = await this.http.post<string>('/jsonrpc', body, { signal, maxContentLength });
      data = res.data;
    } catch (err) {
      throw toPlayerError(err, this.label, method, KODI_FIXES, {
        401: { code: 'auth', reason: 'wrong username or password (HTTP 401)', retryable: false },
      });
    }
    const body = parseJsonBody(data, this.label, method, KODI_FIXES.protocol) as JsonRpcResponse | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new PlayerError({
        player: this.label,
        call: method,
        code: 'protocol',
        reason: 'the answer is not a JSON-RPC response',
        fix: KODI_FIXES.protocol,
      });
    }
    if (body.error !== undefined && body.error !== null) {
      const e = body.error;
      const error: JsonRpcError = isObject(e)
        ? {
            code: typeof e.code === 'number' ? e.code : 0,
            message: typeof e.message === 'string' ? e.message.slice(0, 200) : 'no message',
          }
        : { code: 0, message: 'an error of unknown form' };
      throw new KodiRpcError(this.label, method, error);
    }
    if (!('result' in body)) {
      throw new PlayerError({
        player: this.label,
        call: method,
        code: 'protocol',
        reason: 'the answer has neither result nor error',
        fix: KODI_FIXES.protocol,
      });
    }
    return body.result as T;
  }
}
