/**
 * The HTTP client of the servers that speak REST (Jellyfin, Plex): one base URL, our own headers, a credential
 * sent only to that URL's origin, a size cap on every answer, JSON bodies parsed and decoded, and every failure a
 * PlayerError in the server's own words (`fixes`, `statusMeanings`). Each server adds its auth header and calls.
 */
import axios, { AxiosInstance, Method } from 'axios';
import type { ProbeResult } from '../core/probe';
import { FixTexts, PlayerError, StatusMeanings, parseJsonBody, toPlayerError, verdictOf } from './errors';
import { checkBaseUrl } from './http-endpoint';
import { DEFAULT_LISTING_BYTES, SMALL_ANSWER_BYTES } from './limits';
import { encodeQuery } from './query';
import { decode } from './shape';
import { cleanText } from '../core/values';

export interface RequestOptions {
  params?: Record<string, string | number | boolean | undefined>;
  data?: unknown;
  headers?: Record<string, string>;
  /** The answer grows with the library (a page, a list): it gets the listing cap instead of the small one. */
  listing?: boolean;
  /** Send no credential (public endpoints). */
  anonymous?: boolean;
}

export interface HttpPlayerSettings {
  /** `Jellyfin "Den" (http://…)`: for errors; never holds a secret. */
  label: string;
  url: string;
  timeoutMs?: number;
  /** The largest answer to a listing request, in bytes (other requests: SMALL_ANSWER_BYTES). */
  maxListingBytes?: number;
  /** Sent with every request (Accept, client identification). */
  headers: Record<string, string>;
  fixes: FixTexts;
  /** What a status means for this server (e.g. 401: the token is dead). */
  statusMeanings: StatusMeanings;
  /** The credential's headers; undefined when none is set (then only anonymous requests are sent). */
  credential(): Record<string, string> | undefined;
  /** Why a request needing the credential cannot be sent without one ("no API key is set"). */
  missingCredential: string;
  /** A 401 means the credential is dead: no further request is sent with it (Plex tokens). */
  deadOn401?: boolean;
}

export class HttpPlayerClient {
  readonly label: string;
  /** Set by the first 401 where that means a dead credential: no further request is sent with it. */
  deadCredential?: PlayerError;
  /**
   * Whether the server answered the last request that reached a verdict (true), or could not be reached, failed
   * its TLS handshake or refused the credential (HTTP 401) (false); undefined before the first. A timeout alone
   * does not say (a slow listing): the config node checks again. For the Players board.
   */
  reachable?: boolean;
  lastSuccessAt?: number;
  lastFailureAt?: number;
  /** The last request that failed, whatever the reason (kept after a success: the board shows the last failure). */
  lastFailure?: PlayerError;
  private readonly reachabilityListeners = new Set<(reachable: boolean) => void>();
  private readonly failureListeners = new Set<(error: PlayerError) => void>();
  private readonly http?: AxiosInstance;
  private readonly configError?: PlayerError;

  constructor(private readonly settings: HttpPlayerSettings) {
    this.label = settings.label;
    const base = checkBaseUrl(settings.url, this.label, settings.fixes.config ?? '');
    if (base instanceof PlayerError) {
      this.configError = base;
      return;
    }
    this.http = axios.create({
      baseURL: base,
      timeout: settings.timeoutMs ?? 15000,
      headers: settings.headers,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      paramsSerializer: { serialize: encodeQuery },
      maxRedirects: 0, // a redirect could take the credential to another origin
      proxy: false,
    });
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const call = `${method.toUpperCase()} ${path}`;
    const { settings } = this;
    if (!this.http)
      throw this.configError ?? new PlayerError({ player: this.label, call, code: 'config', reason: '' });
    let auth: Record<string, string> = {};
    if (!options.anonymous) {
      if (this.deadCredential) throw this.deadCredential;
      const credential = settings.credential();
      if (!credential) {
        throw new PlayerError({
          player: this.label,
          call,
          code: 'config',
          reason: settings.missingCredential,
          fix: settings.fixes.auth,
        });
      }
      auth = credential;
    }
    let data: unknown;
    try {
      const res = await this.http.request<string>({
        method,
        url: path,
        maxContentLength: options.listing
          ? (settings.maxListingBytes ?? DEFAULT_LISTING_BYTES)
          : SMALL_ANSWER_BYTES,
        params: options.params,
        data: options.data,
        headers: { ...options.headers, ...auth },
      });
      data = res.data;
    } catch (err) {
      const error = toPlayerError(err, this.label, call, settings.fixes, settings.statusMeanings);
      if (settings.deadOn401 && error.status === 401 && !options.anonymous) this.deadCredential = error;
      this.lastFailure = error;
      this.lastFailureAt = Date.now();
      const down =
        error.code === 'unreachable' ||
        error.code === 'tls' ||
        (error.code === 'auth' && error.status !== 403);
      if (down) this.noteReachable(false);
      for (const listener of [...this.failureListeners]) {
        try {
          listener(error);
        } catch {
          // a listener's fault is its own: the request's outcome stands
        }
      }
      throw error;
    }
    this.lastSuccessAt = Date.now();
    this.noteReachable(true);
    return parseJsonBody(data, this.label, call, settings.fixes.protocol) as T;
  }

  /** Calls back when `reachable` changes; returns the unsubscribe. */
  onReachability(listener: (reachable: boolean) => void): () => void {
    this.reachabilityListeners.add(listener);
    return () => this.reachabilityListeners.delete(listener);
  }

  /** Calls back on every failed request (its error holds no secret); returns the unsubscribe. */
  onFailure(listener: (error: PlayerError) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Whether the server answers, as a request (or a check that timed out) found. */
  noteReachable(reachable: boolean): void {
    if (this.reachable === reachable) return;
    this.reachable = reachable;
    for (const listener of [...this.reachabilityListeners]) {
      try {
        listener(reachable);
      } catch {
        // a listener's fault is its own: the request's outcome stands
      }
    }
  }

  /**
   * A request whose answer is decoded by `decoder`: a wrong shape is a PlayerError naming the server, the call and
   * the field.
   */
  async get<T>(
    method: Method,
    path: string,
    options: RequestOptions,
    decoder: (body: unknown) => T,
  ): Promise<T> {
    const body = await this.request<unknown>(method, path, options);
    return decode(this.label, `${method.toUpperCase()} ${path}`, this.settings.fixes.protocol, () =>
      decoder(body),
    );
  }
}

/** A name or version a server gave, fit to show: text, short, without control characters. */
export function shownText(value: unknown): string | undefined {
  return cleanText(value)?.slice(0, 100);
}

/**
 * "Test connection" in two steps: a public call (does this kind of server answer here?), then one that needs the
 * credential. Never returns the credential, nor what the server sent beyond a short name and version.
 */
export async function probeTwoSteps(
  publicStep: () => Promise<{ name?: unknown; version?: unknown }>,
  authStep: () => Promise<{ name?: unknown; version?: unknown }>,
): Promise<ProbeResult> {
  let seen: { name?: unknown; version?: unknown };
  try {
    seen = await publicStep();
  } catch (err) {
    return {
      ok: false,
      verdict: verdictOf(err),
      http: { ok: false, error: err instanceof Error ? err.message : String(err) },
      auth: { ok: false },
    };
  }
  try {
    const authorised = await authStep();
    return {
      ok: true,
      verdict: 'ok',
      name: shownText(authorised.name ?? seen.name),
      version: shownText(seen.version ?? authorised.version),
      http: { ok: true },
      auth: { ok: true },
    };
  } catch (err) {
    const name = shownText(seen.name);
    return {
      ok: false,
      verdict: verdictOf(err),
      ...(name === undefined ? {} : { name }),
      version: shownText(seen.version),
      http: { ok: true },
      auth: { ok: false, error: err instanceof Error ? err.message : String(err) },
    };
  }
}
