/**
 * The flow nodes that use one config node. The connection opens with the first user and closes with the last,
 * and every user is told the connection's state (mqtt-broker's pattern).
 */
import type { NodeStatus } from 'node-red';

export interface StatusUser {
  id: string;
  status(status: NodeStatus): void;
}

export class ConnectionUsers {
  private readonly users = new Map<string, StatusUser>();
  private lastStatus: NodeStatus = {};

  constructor(
    private readonly open: () => void,
    private readonly close: () => void,
  ) {}

  get count(): number {
    return this.users.size;
  }

  register(user: StatusUser): void {
    if (this.users.has(user.id)) return;
    this.users.set(user.id, user);
    user.status(this.lastStatus);
    if (this.users.size === 1) this.open();
  }

  deregister(user: StatusUser): void {
    if (!this.users.delete(user.id)) return;
    if (this.users.size === 0) this.close();
  }

  /** Shows `status` on every user node. */
  broadcast(status: NodeStatus): void {
    this.lastStatus = status;
    for (const user of this.users.values()) user.status(status);
  }
}
