/**
 * Errors from the player clients. Each says which server, which call, what went wrong and what to do, and never
 * carries a secret: messages are built from our own words, never from an HTTP library's error (whose config holds
 * the request headers).
 */
import { STATUS_CODES } from 'node:http';
import { AxiosError } from 'axios';
import { sizeText } from './limits';
import type { ProbeVerdict } from '../core/probe';

export type PlayerErrorCode =
  | 'config' // the player's settings in Node-RED are incomplete or wrong
  | 'unreachable' // connection refused, host unknown, network down
  | 'timeout'
  | 'auth' // wrong credentials or dead token
  | 'http' // an unexpected HTTP status
  | 'protocol' // the answer is not what the protocol says (malformed JSON, HTML instead of JSON…)
  | 'rpc' // Kodi answered with a JSON-RPC error
  | 'not-found'
  | 'tls' // the TLS handshake or the server's certificate failed
  | 'too-large' // an answer larger than its cap
  | 'websocket';

export interface PlayerErrorInit {
  /** e.g. `Kodi "Living room" (127.0.0.1:8080)` */
  player: string;
  /** the call, e.g. `VideoLibrary.Scan` or `GET /library/sections` */
  call: string;
  code: PlayerErrorCode;
  reason: string;
  fix?: string;
  status?: number;
  /** Whether trying the same call again later may succeed (a dead token will not). */
  retryable?: boolean;
}

export class PlayerError extends Error {
  readonly player: string;
  readonly call: string;
  readonly code: PlayerErrorCode;
  readonly reason: string;
  readonly fix: string;
  readonly status?: number;
  readonly retryable: boolean;

  constructor(init: PlayerErrorInit) {
    super(`${init.player}: ${init.call} failed: ${init.reason}${init.fix ? `. ${init.fix}` : ''}`);
    this.name = 'PlayerError';
    this.player = init.player;
    this.call = init.call;
    this.code = init.code;
    this.reason = init.reason;
    this.fix = init.fix ?? '';
    this.status = init.status;
    this.retryable = init.retryable ?? (init.code === 'unreachable' || init.code === 'timeout');
  }
}

/**
 * What to tell the user for each kind of failure; each client gives its own words. `tooLarge`: an answer over its
 * size cap.
 */
export type FixTexts = Partial<Record<PlayerErrorCode | 'tooLarge', string>>;

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'the connection was closed',
};

/** Network error codes that mean TLS failed, with what to say. */
const TLS_CODES: Record<string, string> = {
  EPROTO: 'TLS handshake failed (is TLS on for a plain HTTP port?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is TLS on for a plain HTTP port?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's TLS certificate chain is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's TLS certificate cannot be verified",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's TLS certificate cannot be verified",
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate is for another name",
};

/** The verdict for a failure: what a person setting up the connection needs to know first. */
export function verdictOf(err: unknown): ProbeVerdict {
  if (!(err instanceof PlayerError)) return 'wrong-server';
  switch (err.code) {
    case 'config':
      return 'config';
    case 'unreachable':
    case 'websocket':
      return 'unreachable';
    case 'timeout':
      return 'timeout';
    case 'auth':
      return 'auth-refused';
    case 'tls':
      return 'tls-error';
    default:
      return 'wrong-server';
  }
}

/**
 * Turns any failure of an HTTP request into a PlayerError. `statusCodes` lets a client say what a status means
 * for it (Plex: 401 is a dead token).
 */
/** What an HTTP status means for one server (Plex: 401 is a dead token). */
export type StatusMeanings = Partial<
  Record<number, { code: PlayerErrorCode; reason: string; retryable?: boolean }>
>;

export function toPlayerError(
  err: unknown,
  player: string,
  call: string,
  fixes: FixTexts,
  statusCodes: StatusMeanings = {},
): PlayerError {
  if (err instanceof PlayerError) return err;
  if (err instanceof AxiosError) {
    const status = err.response?.status;
    if (status !== undefined) {
      const known = statusCodes[status];
      if (known) {
        return new PlayerError({
          player,
          call,
          status,
          code: known.code,
          reason: known.reason,
          fix: fixes[known.code],
          retryable: known.retryable,
        });
      }
      if (status >= 300 && status < 400) {
        // Redirects are not followed: the credential would go with them to another address.
        return new PlayerError({
          player,
          call,
          status,
          code: 'config',
          reason: `HTTP ${status}: the server sends requests to another address`,
          fix: 'Use the address it redirects to (https:// if it asks for it, with its base path)',
          retryable: false,
        });
      }
      const code: PlayerErrorCode =
        status === 401 || status === 403 ? 'auth' : status === 404 ? 'not-found' : 'http';
      // The status text is Node's own, not the server's reason phrase (which could say anything).
      const text = STATUS_CODES[status];
      return new PlayerError({
        player,
        call,
        status,
        code,
        reason: `HTTP ${status}${text ? ` ${text}` : ''}`,
        fix: fixes[code],
        retryable: status >= 500,
      });
    }
    const tooLarge = /^maxContentLength size of (\d+) exceeded/.exec(err.message);
    if (tooLarge) {
      return new PlayerError({
        player,
        call,
        code: 'too-large',
        reason: `the answer is larger than ${sizeText(Number(tooLarge[1]))}, so it was not read`,
        fix: fixes.tooLarge ?? fixes.protocol,
        retryable: false,
      });
    }
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' || err.code === AxiosError.ETIMEDOUT) {
      return new PlayerError({
        player,
        call,
        code: 'timeout',
        reason: 'no answer in time',
        fix: fixes.timeout,
      });
    }
    const tls = err.code ? TLS_CODES[err.code] : undefined;
    if (tls) {
      return new PlayerError({ player, call, code: 'tls', reason: tls, fix: fixes.tls, retryable: false });
    }
    const reason = (err.code && NETWORK_CODES[err.code]) ?? `network error${err.code ? ` ${err.code}` : ''}`;
    return new PlayerError({ player, call, code: 'unreachable', reason, fix: fixes.unreachable });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PlayerError({ player, call, code: 'protocol', reason: message, fix: fixes.protocol });
}

/** Parses a JSON body, turning garbage into a protocol error that says what kind of answer came back (never its text). */
export function parseJsonBody(body: unknown, player: string, call: string, fix?: string): unknown {
  if (typeof body !== 'string') return body;
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new PlayerError({
      player,
      call,
      code: 'protocol',
      reason: `the answer is ${describeBody(body)}, not JSON`,
      fix,
      retryable: false,
    });
  }
}

/**
 * What kind of text a server sent, in our own words: the body itself is never repeated in an error, a log or an
 * editor answer (it may hold anything, including what another host chose to send back).
 */
export function describeBody(body: string): string {
  const start = body.trimStart().slice(0, 200).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'an HTML page';
  if (start.startsWith('<?xml') || start.startsWith('<')) return 'XML or markup';
  return `text of ${sizeText(Buffer.byteLength(body))}`;
}

/**
 * What a server cannot do at all (no route for it): not worth retrying, and not a failure of the server. `player` is
 * the server's label (as in PlayerError), `what` the action ("set a resume position").
 */
export class UnsupportedError extends Error {
  readonly code = 'unsupported';
  readonly retryable = false;

  constructor(
    readonly what: string,
    readonly player: string,
    readonly why = 'it has no way to do this',
  ) {
    super(`${player} cannot ${what}: ${why}`);
    this.name = 'UnsupportedError';
  }
}
