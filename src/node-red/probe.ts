/**
 * For the REST servers: check once when the first user registers and show the outcome; where the server has a
 * push socket (Plex's notifications, Jellyfin's sessions), open it with the first user, close it with the last, and show whether it is up.
 */
import type { Node, NodeStatus } from 'node-red';
import { PlayerError } from '../players/errors';
import { linkStatus } from './status';
import { ConnectionUsers } from './users';
import { forPeople } from './errors';
import type { LiveSocket } from '../players/live-socket';

export function probeOnFirstUser(
  node: Node,
  probe: () => Promise<unknown>,
  socket?: LiveSocket,
): ConnectionUsers {
  let closed = false;
  let reachable = false;
  /** Connected with the socket up; HTTP only (polling) without it; where the server has a socket at all. */
  const reachableStatus = (): NodeStatus => linkStatus(!socket || socket.up ? 'connected' : 'http-only');
  const onSocket = (): void => {
    if (!closed && reachable) users.broadcast(reachableStatus());
  };
  node.on('close', () => {
    closed = true;
    socket?.off('state', onSocket);
    socket?.stop();
  });
  socket?.on('state', onSocket);
  const users: ConnectionUsers = new ConnectionUsers(
    () => {
      users.broadcast(linkStatus('connecting'));
      socket?.start();
      probe().then(
        () => {
          if (closed) return;
          reachable = true;
          users.broadcast(reachableStatus());
        },
        (err: unknown) => {
          if (closed) return;
          reachable = false;
          const auth = err instanceof PlayerError && err.code === 'auth';
          users.broadcast(linkStatus(auth ? 'auth-failed' : 'disconnected'));
          node.warn(forPeople(err).message);
        },
      );
    },
    () => {
      reachable = false;
      socket?.stop();
    },
  );
  return users;
}
