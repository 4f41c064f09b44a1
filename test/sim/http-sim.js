// The plumbing the Jellyfin and Plex simulators share: a loopback HTTP server with a request log.
'use strict';
const http = require('node:http');

class HttpSim {
  constructor() {
    this.log = []; // {method, path, query, headers, body}
    this.port = 0;
  }

  async start() {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const url = new URL(req.url, 'http://sim');
        const entry = {
          method: req.method,
          raw: req.url,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
        };
        this.log.push(entry);
        try {
          // A test's stand-in for any route (a server failing for a while): true when it answered.
          if (this.intercept && this.intercept(entry, res)) return;
          this.handle(entry, res);
        } catch (err) {
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err && err.stack));
        }
      });
    });
    this.sockets = new Set();
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop() {
    if (!this.server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    this.server = undefined;
  }

  /** The logged requests to `path` (all requests when omitted). */
  requests(path) {
    return path ? this.log.filter((r) => r.path === path) : this.log;
  }

  json(res, status, value) {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
  }
}

module.exports = { HttpSim };
