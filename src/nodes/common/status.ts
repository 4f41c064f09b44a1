/** Status dots, the same meaning on every node: blue working, green done, yellow waiting, red failed. */
import type { NodeStatus } from 'node-red';

export type LinkState = 'idle' | 'connecting' | 'connected' | 'http-only' | 'disconnected' | 'auth-failed';

const MAX_TEXT = 24;

export function short(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

export const working = (text: string): NodeStatus => ({ fill: 'blue', shape: 'dot', text: short(text) });
export const done = (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text: short(text) });
export const waiting = (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text: short(text) });
export const failed = (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text: short(text) });

/** What a user node shows for its player's connection state. */
export function linkStatus(state: LinkState): NodeStatus {
  switch (state) {
    case 'idle':
      return {};
    case 'connecting':
      return waiting('connecting');
    case 'connected':
      return { fill: 'green', shape: 'dot', text: 'connected' };
    case 'http-only':
      return waiting('HTTP only (polling)');
    case 'disconnected':
      return failed('disconnected');
    case 'auth-failed':
      return failed('credentials refused');
  }
}
