/**
 * Errors as people read them in Node-RED: a player error says what went wrong in the player's terms; here the
 * Node-RED step is added (which config node, deploy), from the package catalog, keyed by the error's code.
 */
import { PlayerError, PlayerErrorCode } from '../players/errors';
import { CONFIG_TYPES, PlayerType } from './config-nodes';
import { catalogText } from './status';

/** The codes whose fix is made in the player's config node. */
const IN_CONFIG_NODE: readonly PlayerErrorCode[] = ['config', 'auth', 'too-large'];

/** The Node-RED step for a player error of `code` on a player of config node `type`, if it has one. */
export function nodeRedStep(code: PlayerErrorCode, type: string | undefined): string | undefined {
  if (!type || !IN_CONFIG_NODE.includes(code)) return undefined;
  return catalogText('errors', code, { type });
}

/** The config node type of a player error's player, from the first word of its label (`Kodi "Den" (…)`). */
export function configTypeOf(err: PlayerError): string | undefined {
  const kind = err.player.split(' ')[0].toLowerCase();
  return kind in CONFIG_TYPES ? CONFIG_TYPES[kind as PlayerType] : undefined;
}

/** Any error, with the Node-RED step added where the fix is made in a config node. */
export function forPeople(err: unknown): Error {
  if (!(err instanceof PlayerError)) return err instanceof Error ? err : new Error(String(err));
  const step = nodeRedStep(err.code, configTypeOf(err));
  if (!step) return err;
  return new PlayerError({
    player: err.player,
    call: err.call,
    code: err.code,
    reason: err.reason,
    fix: err.fix ? `${err.fix}; ${step}` : step,
    status: err.status,
    retryable: err.retryable,
  });
}
