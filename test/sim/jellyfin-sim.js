// Jellyfin simulator, as ../shared/reference/protocols.md describes the server (10.8 – 12).
'use strict';
const { HttpSim } = require('./http-sim');

class JellyfinSim extends HttpSim {
  constructor({ apiKey = 'jf-key-0123456789abcdef', legacyAuth = false } = {}) {
    super();
    this.apiKey = apiKey;
    this.legacyAuth = legacyAuth;
    this.serverName = 'Sim Jellyfin';
    this.version = '10.10.7';
  }

  /** The token of a request, or undefined: MediaBrowser header; legacy forms only when legacy auth is on. */
  token(req) {
    const auth = req.headers.authorization || '';
    const m = /^MediaBrowser\s.*Token="([^"]*)"/.exec(auth);
    if (m) return m[1];
    if (this.legacyAuth) return req.headers['x-emby-token'] || req.query.api_key;
    return undefined;
  }

  handle(req, res) {
    if (req.method === 'GET' && req.path === '/System/Info/Public') {
      this.json(res, 200, { ServerName: this.serverName, Version: this.version, Id: 'sim-jellyfin-id' });
      return;
    }
    if (this.token(req) !== this.apiKey) {
      res.writeHead(401).end();
      return;
    }
    if (req.method === 'GET' && req.path === '/System/Info') {
      this.json(res, 200, { ServerName: this.serverName, Version: this.version, Id: 'sim-jellyfin-id' });
      return;
    }
    res.writeHead(404).end();
  }
}

module.exports = { JellyfinSim };
