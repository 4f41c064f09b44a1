/** What "Test connection" found out about a player: what answers, with which name and version, and a verdict. */

/** Each way a "Test connection" can end, for the editor to say in a word. */
export type ProbeVerdict =
  | 'ok'
  | 'config' // the dialog's settings are incomplete or wrong
  | 'unreachable'
  | 'timeout'
  | 'auth-refused'
  | 'wrong-server' // something answers, but not this kind of server
  | 'tls-error';

/** Never holds a secret nor what the server sent back, only our own words. */
export interface ProbeResult {
  ok: boolean;
  /** What the test found, in a word: ok, or the first thing to fix. */
  verdict: ProbeVerdict;
  name?: string;
  version?: string;
  http: { ok: boolean; error?: string };
  auth: { ok: boolean; error?: string };
  websocket?: { ok: boolean; error?: string };
}
