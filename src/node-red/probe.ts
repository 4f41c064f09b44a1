/** For servers without a persistent connection: check once when the first user registers and show the outcome. */
import type { Node } from 'node-red';
import { PlayerError } from '../players/errors';
import { linkStatus } from './status';
import { ConnectionUsers } from './users';
import { forPeople } from './errors';

export function probeOnFirstUser(node: Node, probe: () => Promise<unknown>): ConnectionUsers {
  let closed = false;
  node.on('close', () => {
    closed = true;
  });
  const users: ConnectionUsers = new ConnectionUsers(
    () => {
      users.broadcast(linkStatus('connecting'));
      probe().then(
        () => {
          if (!closed) users.broadcast(linkStatus('connected'));
        },
        (err: unknown) => {
          if (closed) return;
          const auth = err instanceof PlayerError && err.code === 'auth';
          users.broadcast(linkStatus(auth ? 'auth-failed' : 'disconnected'));
          node.warn(forPeople(err).message);
        },
      );
    },
    () => undefined,
  );
  return users;
}
