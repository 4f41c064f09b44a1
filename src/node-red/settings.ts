/** Reading node settings as the editor stores them, and the package's own part of settings.js. */
import type { NodeAPI } from 'node-red';
import { isObject } from '../core/values';

/** A number from the editor (which stores strings), or the default when left empty. */
export function numberSetting(value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return typeof value === 'number' ? value : Number(value);
}

/** Where discovery asks instead of the protocol's multicast or broadcast address (one known host, or tests). */
export interface DiscoveryTarget {
  address: string;
  port: number;
}

/**
 * `playerSync: {…}` in settings.js: plex.tv's addresses (tests point them at a loopback simulator) and discovery
 * targets. What is not text (or not a host and port) is left out.
 */
export interface PackageSettings {
  plexTvUrl?: string;
  plexClientsUrl?: string;
  plexAppUrl?: string;
  discovery: Partial<Record<'plex' | 'jellyfin' | 'kodi', DiscoveryTarget>>;
  libraryBackoff?: unknown;
}

export function packageSettings(RED: NodeAPI): PackageSettings {
  const raw: unknown = (RED.settings as { playerSync?: unknown }).playerSync;
  const s = isObject(raw) ? raw : {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const discovery: PackageSettings['discovery'] = {};
  const targets = isObject(s.discovery) ? s.discovery : {};
  for (const kind of ['plex', 'jellyfin', 'kodi'] as const) {
    const t = targets[kind];
    if (isObject(t) && typeof t.address === 'string' && Number.isInteger(t.port)) {
      discovery[kind] = { address: t.address, port: t.port as number };
    }
  }
  return {
    plexTvUrl: text(s.plexTvUrl),
    plexClientsUrl: text(s.plexClientsUrl),
    plexAppUrl: text(s.plexAppUrl),
    discovery,
    libraryBackoff: s.libraryBackoff,
  };
}
