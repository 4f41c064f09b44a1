/**
 * Jellyfin's users, written: a user created (with a password) and deleted, for watched-sync's Jellyfin-to-Jellyfin
 * user propagation. An API key (an administrator) needs no current password. Knows nothing of Node-RED; a password
 * is sent in the body only, and never returned in what was sent.
 */
import { obj, str } from '../shape';
import type { JellyfinClient } from './client';
import type { SentCall } from '../../core/result';

/** POST /Users/New {Name, Password}: the new user's id, and what was sent (without the password). */
export async function createJellyfinUser(
  client: JellyfinClient,
  name: string,
  password: string,
): Promise<{ id: string; sent: SentCall }> {
  const path = '/Users/New';
  const id = await client.get('POST', path, { data: { Name: name, Password: password } }, (body) =>
    str(obj(body, 'the answer').Id, 'Id'),
  );
  return { id, sent: { method: `POST ${path}`, params: { Name: name, Password: '(set)' } } };
}

/** DELETE /Users/{id}: the user and their data on this server. */
export async function deleteJellyfinUser(client: JellyfinClient, userId: string): Promise<SentCall> {
  const path = `/Users/${encodeURIComponent(userId)}`;
  await client.request('DELETE', path);
  return { method: `DELETE ${path}`, params: {} };
}
