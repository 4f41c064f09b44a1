/** Base URL checks shared by the HTTP servers (Jellyfin, Plex). */
import { PlayerError } from './errors';

/** Returns the URL without its trailing slash, or a config PlayerError that says what is wrong. */
export function checkBaseUrl(url: string, player: string, fix: string): string | PlayerError {
  const problem = (reason: string): PlayerError =>
    new PlayerError({ player, call: 'settings', code: 'config', reason, fix });
  const text = url.trim();
  if (text === '') return problem('the URL is empty');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return problem(`"${text}" has no http:// or https:// in front`);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return problem(`"${text}" is not a URL (expected e.g. http://192.168.1.10:8096)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return problem(`the URL must start with http:// or https://, not ${parsed.protocol}//`);
  }
  if (parsed.username || parsed.password)
    return problem('put credentials in the credential fields, not in the URL');
  if (parsed.search || parsed.hash) return problem('the URL must not have a query or fragment');
  return text.replace(/\/+$/, '');
}
