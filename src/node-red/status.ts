/** Status dots, the same meaning on every node: blue working, green done, yellow waiting, red failed. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI, NodeStatus } from 'node-red';
import type { LinkState } from '../core/link';

/**
 * Status texts come from the "status" section of nodes/locales/<lang>/player-sync.json, in the runtime's
 * language (one catalog for all types: common code makes them). Each node module hands its RED over with
 * useCatalog(); where RED cannot translate (Node-RED's test helper answers every key with itself), the English
 * catalog is read directly.
 */
export const CATALOG = '@player-sync/node-red-player-sync/player-sync';
let runtime: NodeAPI | undefined;
let english: Record<string, Record<string, string> | undefined> | undefined;

export function useCatalog(RED: NodeAPI | undefined): void {
  runtime = RED;
}

export type StatusKey =
  | 'connecting'
  | 'connected'
  | 'httpOnly'
  | 'disconnected'
  | 'authFailed'
  | 'unreachable'
  | 'timedOut'
  | 'settingsIncomplete'
  | 'failed'
  | 'error'
  | 'noConfig'
  | 'scanning'
  | 'refreshing'
  | 'removing'
  | 'updating'
  | 'checking'
  | 'checkingFiles'
  | 'cleaning'
  | 'dryRun'
  | 'cleaned'
  | 'idle'
  | 'active'
  | 'waitingForScan'
  | 'oneChange'
  | 'changes'
  | 'deferred'
  | 'retrying'
  | 'checkPlayers'
  | 'journal'
  | 'badInput'
  | 'testEvent'
  | 'ignored'
  | 'playersDown'
  | 'playersWaiting'
  | 'playersUp';

export function statusText(key: StatusKey, vars: Record<string, string | number> = {}): string {
  return catalogText('status', key, vars);
}

/** A text of the package catalog's `section` (status, errors), in the runtime's language where it can translate. */
export function catalogText(
  section: string,
  key: string,
  vars: Record<string, string | number> = {},
): string {
  const id = `player-sync.${section}.${key}`;
  const translated = runtime?._(`${CATALOG}:${id}`, vars);
  if (translated !== undefined && translated !== '' && !translated.endsWith(id)) return translated;
  english ??= (
    JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'locales', 'en-US', 'player-sync.json'), 'utf8'),
    ) as { 'player-sync': Record<string, Record<string, string>> }
  )['player-sync'];
  const text = english[section]?.[key] ?? key;
  return text.replace(/__(\w+)__/g, (_all, name: string) => String(vars[name] ?? ''));
}

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
      return waiting(statusText('connecting'));
    case 'connected':
      return { fill: 'green', shape: 'dot', text: statusText('connected') };
    case 'http-only':
      return waiting(statusText('httpOnly'));
    case 'disconnected':
      return failed(statusText('disconnected'));
    case 'auth-failed':
      return failed(statusText('authFailed'));
  }
}
