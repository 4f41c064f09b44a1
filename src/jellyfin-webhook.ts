/**
 * Flow node `jellyfin-webhook`: behind an `http in` node that Jellyfin's webhook plugin posts to, it turns the
 * plugin's playback notifications (PlaybackStart, PlaybackProgress, PlaybackStop) into the watch events
 * watch-activity gives; the item's path is looked up on the jellyfin-server, when one is set.
 */
import type { NodeAPI } from 'node-red';
import { decodeJellyfinHook, decodeJellyfinUserHook } from './players/jellyfin/webhook';
import { webhookBody } from './players/webhook';
import { jellyfinHookStep } from './sync/watch-hooks';
import { registerWebhookNode } from './node-red/webhook-node';

export = function (RED: NodeAPI): void {
  registerWebhookNode(RED, {
    type: 'jellyfin-webhook',
    kind: 'jellyfin',
    progressDefaultS: 60,
    decode: (msg) => decodeJellyfinHook(webhookBody(msg.payload, 'Jellyfin webhook')),
    // A user created or deleted: passed on for watched-sync's user propagation.
    passOn: (msg, playerId) => {
      const user = decodeJellyfinUserHook(webhookBody(msg.payload, 'Jellyfin webhook'));
      return user ? { topic: 'user', payload: { ...user, playerId } } : undefined;
    },
    session: (hook) => hook.sessionId,
    step: jellyfinHookStep,
  });
};
