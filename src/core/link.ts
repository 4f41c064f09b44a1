/** The state of the link to a player, as every config node shows it. */
export type LinkState = 'idle' | 'connecting' | 'connected' | 'http-only' | 'disconnected' | 'auth-failed';
