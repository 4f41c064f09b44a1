/** Runs tasks one at a time, in the order they were queued. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks queued or running. */
  get size(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task, task);
    this.tail = result.then(
      () => {
        this.waiting--;
      },
      () => {
        this.waiting--;
      },
    );
    return result;
  }
}

const queues = new WeakMap<object, SerialQueue>();

/** The one queue of a player (keyed by its connection or client object). */
export function queueFor(player: object): SerialQueue {
  let queue = queues.get(player);
  if (!queue) {
    queue = new SerialQueue();
    queues.set(player, queue);
  }
  return queue;
}
