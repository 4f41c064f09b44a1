/**
 * The "Test connection" button of the config nodes: an admin endpoint (Node-RED's admin permissions) that tries
 * the settings as they stand in the dialog. Credentials left unchanged in the dialog come from the stored ones;
 * nothing secret is sent back.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { ProbeResult } from '../../players/kodi/probe';

/** The editor's stand-in for a password it was not shown. */
const UNCHANGED = '__PWRD__';

export function registerTestConnection(
  RED: NodeAPI,
  type: string,
  probe: (
    settings: Record<string, unknown>,
    credentials: Record<string, string | undefined>,
  ) => Promise<ProbeResult>,
): void {
  RED.httpAdmin.post(
    `/player-sync/test-connection/${type}`,
    RED.auth.needsPermission(`${type}.write`),
    (req: Request, res: Response) => {
      const body = (req.body ?? {}) as { id?: unknown; settings?: unknown; credentials?: unknown };
      const settings = (body.settings ?? {}) as Record<string, unknown>;
      const given = (body.credentials ?? {}) as Record<string, unknown>;
      const stored =
        typeof body.id === 'string'
          ? ((RED.nodes.getCredentials(body.id) as Record<string, string | undefined> | undefined) ?? {})
          : {};
      const credentials: Record<string, string | undefined> = { ...stored };
      for (const [key, value] of Object.entries(given)) {
        if (typeof value === 'string' && value !== UNCHANGED) credentials[key] = value;
      }
      probe(settings, credentials).then(
        (result) => res.json(result),
        (err: unknown) =>
          res.json({
            ok: false,
            http: { ok: false, error: err instanceof Error ? err.message : String(err) },
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
