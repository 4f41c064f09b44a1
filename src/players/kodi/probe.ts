/** "Test connection" for a Kodi: what answers, with which name and version. Never returns a secret. */
import WebSocket from 'ws';
import { PlayerError, verdictOf } from '../errors';
import { shownText } from '../http-client';
import { kodiCall } from './playback';
import { KodiEndpoint, KodiRpc, hostForUrl } from './rpc';
import type { KodiConnection } from './connection';
import type { ProbeResult } from '../../core/probe';
import { isObject } from '../../core/values';

function openWebSocket(endpoint: KodiEndpoint, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(
      `${endpoint.tls ? 'wss' : 'ws'}://${hostForUrl(endpoint.host)}:${endpoint.wsPort}/jsonrpc`,
      {
        handshakeTimeout: timeoutMs,
      },
    );
    const finish = (result: { ok: boolean; error?: string }): void => {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(result);
    };
    ws.once('open', () => {
      finish({ ok: true });
    });
    ws.once('unexpected-response', (_req, res) => {
      finish({
        ok: false,
        error: `port ${endpoint.wsPort} answered HTTP ${res.statusCode ?? ''}, not a WebSocket`,
      });
    });
    ws.once('error', (err: NodeJS.ErrnoException) => {
      finish({
        ok: false,
        error:
          err.code === 'ECONNREFUSED'
            ? `port ${endpoint.wsPort} refused: turn on "Allow remote control from applications" in Kodi`
            : (err.code ?? err.message),
      });
    });
  });
}

/**
 * Kodi's version, the first word of its build label ("21.2" of "21.2 (21.2.0) Git:…", "20.1" of "20.1 Debian package
 * version: …"); undefined when blank.
 */
export async function kodiVersion(caller: Pick<KodiConnection, 'call'>): Promise<string | undefined> {
  const labels = await caller.call<unknown>('XBMC.GetInfoLabels', { labels: ['System.BuildVersion'] });
  return isObject(labels) ? shownText(labels['System.BuildVersion'])?.split(' ')[0] : undefined;
}

export async function probeKodi(endpoint: KodiEndpoint): Promise<ProbeResult> {
  const rpc = new KodiRpc({ ...endpoint, timeoutMs: 5000 });
  const result: ProbeResult = { ok: false, verdict: 'ok', http: { ok: false }, auth: { ok: false } };
  try {
    const labels = await kodiCall(
      rpc,
      'XBMC.GetInfoLabels',
      { labels: ['System.FriendlyName', 'System.BuildVersion'] },
      (r) => (isObject(r) ? r : {}),
    );
    result.http = { ok: true };
    result.auth = { ok: true };
    result.name = shownText(labels['System.FriendlyName']);
    result.version = shownText(labels['System.BuildVersion']);
  } catch (err) {
    result.verdict = verdictOf(err);
    const e = err instanceof PlayerError ? err : undefined;
    result.http = {
      ok: e?.code === 'auth',
      error: e?.code === 'auth' ? undefined : (e?.message ?? String(err)),
    };
    result.auth = { ok: false, error: e?.code === 'auth' ? e.message : 'not checked' };
  }
  result.websocket = endpoint.host ? await openWebSocket(endpoint, 5000) : { ok: false, error: 'no host' };
  result.ok = result.http.ok && result.auth.ok && result.websocket.ok;
  if (result.verdict === 'ok' && !result.websocket.ok) result.verdict = 'unreachable';
  return result;
}
