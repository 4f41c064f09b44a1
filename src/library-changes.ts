/**
 * Flow node `library-changes`: what was added, updated or removed in one player's library (Kodi, Jellyfin or
 * Plex) since the last run, on input or every few minutes. The fingerprints of the last run live in the store
 * (sync/store.ts), so a restart does not report the whole library again. Output 1: the changes (one message each,
 * or one message with them all); output 2: what the run did, once per run.
 */
import * as fsp from 'node:fs/promises';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { PlayerRefs, errorStatus, usePlayer } from './node-red/flow-node';
import { numberSetting, packageSettings } from './node-red/settings';
import { done, failed, useCatalog, waiting, working } from './node-red/status';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { forPeople } from './node-red/errors';
import { Store } from './sync/store';
import {
  Backoff,
  DEFAULT_BACKOFF,
  FingerprintRecord,
  LibraryChange,
  LibraryChanges,
  RunStopped,
  RunSummary,
  SectionMark,
  checkFingerprint,
  checkMark,
} from './sync/library-changes';
import { FEED_MAX_PAGE_SIZE, FEED_PAGE_SIZE, LibraryFeed } from './players/library-feed';
import { kodiLibraryFeed } from './players/kodi/library-feed';
import { jellyfinLibraryFeed } from './players/jellyfin/library-feed';
import { plexLibraryFeed } from './players/plex/library-feed';
import { isObject } from './core/values';

interface LibraryChangesDef extends NodeDef, PlayerRefs {
  pageSize?: string | number;
  /** Minutes between runs; 0 or empty: only on input. */
  interval?: string | number;
  output?: 'each' | 'summary';
  checkFiles?: boolean;
}

function feedFor(player: AnyPlayerNode): LibraryFeed {
  switch (player.kind) {
    case 'kodi':
      return kodiLibraryFeed(player.connection);
    case 'jellyfin':
      return jellyfinLibraryFeed(player.client);
    case 'plex':
      return plexLibraryFeed(player.client);
  }
}

/** Backoff from settings.js (`playerSync.libraryBackoff`), else the default; bad values fall back. */
function backoffOf(RED: NodeAPI): Backoff {
  const set = packageSettings(RED).libraryBackoff;
  if (!isObject(set)) return DEFAULT_BACKOFF;
  const pick = (v: unknown, fallback: number): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
  return {
    firstMs: pick(set.firstMs, DEFAULT_BACKOFF.firstMs),
    maxMs: pick(set.maxMs, DEFAULT_BACKOFF.maxMs),
    attempts: Math.max(1, Math.round(pick(set.attempts, DEFAULT_BACKOFF.attempts))),
  };
}

const count = (n: number): string => n.toLocaleString('en-US');

interface Waiter {
  msg?: NodeMessageInFlow;
  send?: (msg: NodeMessage | (NodeMessage | null)[]) => void;
  done?: (err?: Error) => void;
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function LibraryChangesNode(this: Node, def: LibraryChangesDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, def, ['kodi', 'jellyfin', 'plex']);
    if (!player) {
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, finish: (err?: Error) => void) => {
        finish(new Error(`library-changes: ${problem ?? 'no player'}`));
      });
      return;
    }
    const defaultPageSize = numberSetting(def.pageSize, FEED_PAGE_SIZE);
    const intervalMs = numberSetting(def.interval, 0) * 60_000;
    const each = def.output !== 'summary';
    const playerInfo = { name: player.name || player.label, type: player.kind, id: player.id };

    const base = `library-${node.id}-${player.id}`.replace(/[^A-Za-z0-9._-]/g, '_');
    const store = new Store((RED.settings as { userDir?: string }).userDir);
    const items = store.collection<FingerprintRecord>(`${base}-items`, checkFingerprint);
    const marks = store.collection<SectionMark>(`${base}-marks`, checkMark);
    let storeProblem: string | undefined;
    for (const c of [items, marks]) {
      try {
        c.load();
        if (c.damage)
          node.warn(
            `library-changes: its fingerprints were damaged (${c.damage.reason}); the good ones kept`,
          );
      } catch (err) {
        storeProblem = `cannot read its fingerprints: ${(err as Error).message}`;
      }
    }
    if (storeProblem) {
      node.status(failed('store'));
      node.error(`library-changes: ${storeProblem}`);
    }

    const aborter = new AbortController();
    const changes = new LibraryChanges(feedFor(player), items, marks, {
      toLibrary: (playerPath) => {
        try {
          return player.mapper().toLibrary(playerPath).path;
        } catch {
          return playerPath;
        }
      },
      exists:
        def.checkFiles === false
          ? undefined
          : (p) =>
              fsp.access(p).then(
                () => true,
                () => false,
              ),
      backoff: backoffOf(RED),
      onRetry: (err, waitMs) => {
        node.status(waiting(`retry in ${Math.ceil(waitMs / 1000)} s`));
        node.log(`library-changes: ${(err as Error).message}; trying again in ${Math.ceil(waitMs / 1000)} s`);
      },
    });

    // One run at a time; what arrives meanwhile waits for one more run after it (deep if any asked for deep).
    let running: Promise<void> | undefined;
    let next: { deep: boolean; pageSize?: number; waiters: Waiter[] } | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closing = false;

    const schedule = (): void => {
      if (intervalMs > 0 && !closing) {
        clearTimeout(timer);
        timer = setTimeout(() => {
          request({ deep: false, waiter: {} });
        }, intervalMs);
      }
    };

    const runOnce = async (deep: boolean, pageSize: number, waiters: Waiter[]): Promise<void> => {
      const collected: LibraryChange[] = [];
      const first = waiters.find((w) => w.msg)?.msg;
      const sendChanges = (out: NodeMessage): void => {
        node.send([out, null]);
      };
      node.status(working(deep ? 'deep scan' : 'listing'));
      let summary: RunSummary | undefined;
      let error: Error | undefined;
      try {
        if (storeProblem) throw new Error(`library-changes: ${storeProblem}`);
        summary = await changes.run({
          deep,
          pageSize,
          signal: aborter.signal,
          onChanges: (page) => {
            if (!each) {
              collected.push(...page);
              return;
            }
            for (const change of page) {
              sendChanges({ topic: change.change, payload: change, player: playerInfo });
            }
          },
          onProgress: (p) => {
            node.status(
              working(`${p.section} ${count(p.done)}${p.total !== undefined ? ` / ${count(p.total)}` : ''}`),
            );
          },
        });
      } catch (err) {
        error = err instanceof RunStopped ? undefined : forPeople(err);
        if (!error) return;
      }
      if (!each && collected.length > 0) {
        const out: NodeMessage = { ...(first ? RED.util.cloneMessage(first) : {}) };
        Object.assign(out, { topic: 'changes', payload: collected, player: playerInfo });
        sendChanges(out);
      }
      if (error) {
        node.status(failed(errorStatus(error)));
        for (const w of waiters) w.done?.(error);
        if (!waiters.some((w) => w.done)) node.error(error.message, { payload: { error: error.message } });
        return;
      }
      if (!summary) return;
      node.status(done(`+${count(summary.added)} ~${count(summary.updated)} -${count(summary.removed)}`));
      for (const w of waiters.length > 0 ? waiters : [{}]) {
        const out = (w.msg ?? {}) as NodeMessage & Record<string, unknown>;
        out.topic = 'library-changes';
        out.payload = summary;
        out.player = playerInfo;
        if (w.send) w.send([null, out]);
        else node.send([null, out]);
        w.done?.();
      }
    };

    const request = (ask: { deep: boolean; pageSize?: number; waiter: Waiter }): void => {
      if (closing) {
        ask.waiter.done?.();
        return;
      }
      if (!next) next = { deep: false, waiters: [] };
      next.deep ||= ask.deep;
      next.pageSize ??= ask.pageSize;
      next.waiters.push(ask.waiter);
      if (running) return;
      const go = (): void => {
        const job = next;
        next = undefined;
        if (!job || closing) {
          running = undefined;
          return;
        }
        clearTimeout(timer);
        running = runOnce(
          job.deep,
          job.pageSize ?? defaultPageSize,
          job.waiters.filter((w) => w.msg || w.done),
        )
          .catch((err: unknown) => {
            node.error(`library-changes: ${(err as Error).message}`);
          })
          .then(() => {
            schedule();
            go();
          });
      };
      go();
    };

    node.on('input', (msg: NodeMessageInFlow, send, finish) => {
      const m = msg as NodeMessageInFlow & { deep?: unknown; pageSize?: unknown };
      if (m.deep !== undefined && typeof m.deep !== 'boolean') {
        finish(new Error(`library-changes (${player.label}): msg.deep must be true or false`));
        return;
      }
      let pageSize: number | undefined;
      if (m.pageSize !== undefined) {
        pageSize = Number(m.pageSize);
        if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > FEED_MAX_PAGE_SIZE) {
          finish(
            new Error(
              `library-changes (${player.label}): msg.pageSize must be a whole number from 1 to ${FEED_MAX_PAGE_SIZE}`,
            ),
          );
          return;
        }
      }
      request({ deep: m.deep === true, pageSize, waiter: { msg, send, done: finish } });
    });

    if (intervalMs > 0) {
      // The first run at start: the kept fingerprints make it cheap, and what changed while Node-RED was down shows.
      timer = setTimeout(() => {
        request({ deep: false, waiter: {} });
      }, 0);
    }

    node.on('close', (_removed: boolean, closed: () => void) => {
      closing = true;
      clearTimeout(timer);
      aborter.abort();
      const pending = next?.waiters ?? [];
      next = undefined;
      for (const w of pending) w.done?.();
      void Promise.resolve(running)
        .catch(() => undefined)
        .then(() => Promise.all([items.close(), marks.close()]))
        .catch((err: unknown) => {
          node.warn(`library-changes: could not save its fingerprints: ${(err as Error).message}`);
        })
        .then(() => {
          closed();
        });
    });
  }
  RED.nodes.registerType('library-changes', LibraryChangesNode);
};
