/**
 * Flow node `plex-webhook`: behind an `http in` node that Plex Media Server posts its webhooks to (multipart, with
 * a JSON `payload` part), it turns media.play, pause, resume, stop and scrobble into the watch events
 * watch-activity gives; the item's file is looked up on the plex-server, when one is set.
 */
import type { NodeAPI, NodeMessageInFlow } from 'node-red';
import { decodePlexHook, plexWebhookJson } from './players/plex/webhook';
import { plexHookStep } from './sync/watch-hooks';
import { registerWebhookNode } from './node-red/webhook-node';

/** The request's Content-Type, as `http in` leaves the request on the message. */
function contentType(msg: NodeMessageInFlow): string | undefined {
  const req = (msg as { req?: { headers?: Record<string, unknown> } }).req;
  const type = req?.headers?.['content-type'];
  return typeof type === 'string' ? type : undefined;
}

export = function (RED: NodeAPI): void {
  registerWebhookNode(RED, {
    type: 'plex-webhook',
    kind: 'plex',
    progressDefaultS: 0, // Plex sends no progress webhooks
    decode: (msg) => decodePlexHook(plexWebhookJson(msg.payload, contentType(msg))),
    session: (hook) => hook.sessionId,
    step: plexHookStep,
  });
};
