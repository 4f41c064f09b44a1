/**
 * The "Test connection" button of the config nodes: an admin endpoint (the config node type's write permission)
 * that tries the settings as they stand in the dialog.
 *
 * Stored credentials are only ever sent to the origin (scheme, host, port) they were stored for: when the dialog
 * names another origin, the test uses only what was typed into the request, or nothing. The answer says what was
 * found in a word (`verdict`) and in our own words; it never holds a secret or what the remote server sent back.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { ProbeResult } from '../core/probe';
import { isObject } from '../core/values';

/** The editor's stand-in for a password it was not shown. */
const UNCHANGED = '__PWRD__';

export interface TestConnectionHooks {
  /**
   * The origin settings point at (`http://host:port`), or undefined when they name none: for the dialog's
   * settings and for those of the deployed config node, whose credentials were stored for its origin.
   */
  origin(settings: Record<string, unknown>): string | undefined;
  probe(
    settings: Record<string, unknown>,
    credentials: Record<string, string | undefined>,
  ): Promise<ProbeResult>;
  /**
   * For a config node not deployed yet whose credentials the runtime set itself (a sign-in): the origin they were
   * issued for, or undefined.
   */
  issuedFor?(id: string): string | undefined;
}

/** `scheme://host:port` as the URL standard writes it (lower-case host, default port left out), or undefined. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The credentials a test may use: those typed into the request, plus the stored ones of config node `id` only when
 * that node is deployed, is of this type, and its deployed settings point at the origin the test goes to (or, not
 * deployed yet, when the runtime itself stored them for that origin: a sign-in).
 */
export function credentialsForTest(
  RED: NodeAPI,
  type: string,
  hooks: Pick<TestConnectionHooks, 'origin' | 'issuedFor'>,
  body: { id?: unknown; settings: Record<string, unknown>; credentials: Record<string, unknown> },
): Record<string, string | undefined> {
  const credentials: Record<string, string | undefined> = {};
  const target = hooks.origin(body.settings);
  if (typeof body.id === 'string' && target !== undefined) {
    // The deployed settings of that node (known as soon as the flows are deployed, before the node has started).
    let deployed: Record<string, unknown> | undefined;
    RED.nodes.eachNode((n) => {
      if (n.id === body.id) deployed = n as unknown as Record<string, unknown>;
    });
    const trusted = deployed
      ? deployed.type === type && hooks.origin(deployed) === target
      : hooks.issuedFor?.(body.id) === target;
    if (trusted) {
      const stored = RED.nodes.getCredentials(body.id) as Record<string, unknown> | undefined;
      for (const [key, value] of Object.entries(stored ?? {})) {
        if (typeof value === 'string') credentials[key] = value;
      }
    }
  }
  for (const [key, value] of Object.entries(body.credentials)) {
    if (typeof value === 'string' && value !== UNCHANGED) credentials[key] = value;
    // "unchanged" for a stored secret that may not go to this origin: the test runs without it.
  }
  return credentials;
}

export function registerTestConnection(RED: NodeAPI, type: string, hooks: TestConnectionHooks): void {
  RED.httpAdmin.post(
    `/player-sync/test-connection/${type}`,
    RED.auth.needsPermission(`${type}.write`),
    (req: Request, res: Response) => {
      const raw: unknown = req.body;
      const body = isObject(raw) ? raw : {};
      const settings = isObject(body.settings) ? body.settings : {};
      const given = isObject(body.credentials) ? body.credentials : {};
      let credentials: Record<string, string | undefined>;
      try {
        credentials = credentialsForTest(RED, type, hooks, { id: body.id, settings, credentials: given });
      } catch {
        res.status(400).json({ ok: false, verdict: 'config', http: { ok: false }, auth: { ok: false } });
        return;
      }
      hooks.probe(settings, credentials).then(
        (result) => res.json(result),
        () =>
          res.json({
            ok: false,
            verdict: 'config',
            http: { ok: false, error: 'the test could not run with these settings' },
            auth: { ok: false },
          }),
      );
    },
  );
}

/** A dialog setting as text ('' when absent or not text). */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
