/**
 * Watched-sync's user propagation, Jellyfin to Jellyfin only (as the seed does): a user created on one server is
 * created on the others, with a random password (reported once, in the result; never logged); a user deleted is
 * deleted on the others, only when the node allows deletions. Each step is read back from the server's user list.
 * Kodi's profiles and Plex's accounts are not made this way: not supported there. Knows nothing of Node-RED.
 */
import { randomBytes } from 'node:crypto';
import type { SentCall } from '../core/result';
import { isObject } from '../core/values';
import { hasControlCharacter } from '../core/paths';
import { WatchedInputError } from './watched';
import type { WatchedTarget } from './watched';

export interface UserChange {
  action: 'created' | 'deleted';
  name: string;
  /** The server it happened on: not written back there. */
  from?: string;
}

/** A server's users, as propagation needs them. */
export interface UserAccess {
  list(): Promise<{ id: string; name: string }[]>;
  create(name: string, password: string): Promise<{ id: string; sent: SentCall }>;
  remove(id: string): Promise<SentCall>;
}

export interface UserResult {
  player: string;
  playerType: string;
  status: 'created' | 'deleted' | 'already' | 'skipped' | 'unsupported' | 'not-verified' | 'failed';
  sent: SentCall[];
  /** The new user's password on that server: in this result only. */
  password?: string;
  reason?: string;
}

/** A password for a new user: 18 random bytes, as 24 URL-safe characters. */
export const newPassword = (): string => randomBytes(18).toString('base64url');

const same = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

export async function propagateUser(
  target: WatchedTarget,
  access: UserAccess | undefined,
  change: UserChange,
  options: { deletions: boolean },
): Promise<UserResult> {
  const base = { player: target.name, playerType: target.playerType, sent: [] as SentCall[] };
  if (!access)
    return { ...base, status: 'unsupported', reason: 'users are propagated between Jellyfin servers only' };
  const existing = (await access.list()).find((u) => same(u.name, change.name));
  if (change.action === 'created') {
    if (existing) return { ...base, status: 'already' };
    const password = newPassword();
    const made = await access.create(change.name, password);
    const there = (await access.list()).some((u) => u.id === made.id);
    return there
      ? { ...base, status: 'created', sent: [made.sent], password }
      : { ...base, status: 'not-verified', sent: [made.sent], reason: 'read back, the user is not listed' };
  }
  if (!options.deletions) {
    return {
      ...base,
      status: 'skipped',
      reason: 'deletions are not propagated (the node does not allow them)',
    };
  }
  if (!existing) return { ...base, status: 'already' };
  const sent = await access.remove(existing.id);
  const gone = !(await access.list()).some((u) => u.id === existing.id);
  return gone
    ? { ...base, status: 'deleted', sent: [sent] }
    : { ...base, status: 'not-verified', sent: [sent], reason: 'read back, the user is still listed' };
}

/** A user message: {action: "created" | "deleted", name} (what jellyfin-webhook gives for UserCreated/UserDeleted). */
export function userChangeOf(payload: unknown, from: string | undefined): UserChange {
  if (!isObject(payload)) throw new WatchedInputError('msg.payload is not an object: send {action, name}');
  const { action, name } = payload;
  if (action !== 'created' && action !== 'deleted') {
    throw new WatchedInputError('msg.payload.action must be "created" or "deleted"');
  }
  if (typeof name !== 'string' || name.trim() === '' || name.length > 256 || hasControlCharacter(name)) {
    throw new WatchedInputError('msg.payload.name must be the user\u2019s name');
  }
  return { action, name: name.trim(), from };
}
