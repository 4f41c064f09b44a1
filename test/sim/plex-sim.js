// Plex Media Server simulator, as ../shared/reference/protocols.md describes the server.
'use strict';
const { HttpSim } = require('./http-sim');

class PlexSim extends HttpSim {
  constructor({ token = 'plex-token-abcdef123456' } = {}) {
    super();
    this.token = token;
    this.machineIdentifier = 'sim-plex-machine';
    this.version = '1.41.3.9314';
  }

  /** XML unless the client asks for JSON, as Plex does. */
  send(req, res, container) {
    if ((req.headers.accept || '').includes('application/json')) {
      this.json(res, 200, { MediaContainer: container });
      return;
    }
    const attrs = Object.entries(container)
      .filter(([, v]) => typeof v !== 'object')
      .map(([k, v]) => ` ${k}="${String(v)}"`)
      .join('');
    res.writeHead(200, { 'Content-Type': 'text/xml' }).end(`<?xml version="1.0"?><MediaContainer${attrs}/>`);
  }

  handle(req, res) {
    if (req.method === 'GET' && req.path === '/identity') {
      this.send(req, res, { size: 0, machineIdentifier: this.machineIdentifier, version: this.version });
      return;
    }
    const token = req.headers['x-plex-token'] || req.query['X-Plex-Token'];
    if (token !== this.token) {
      res.writeHead(401, { 'Content-Type': 'text/html' }).end('<html><h1>401 Unauthorized</h1></html>');
      return;
    }
    if (req.method === 'GET' && req.path === '/') {
      this.send(req, res, {
        friendlyName: 'Sim Plex',
        version: this.version,
        machineIdentifier: this.machineIdentifier,
      });
      return;
    }
    res.writeHead(404).end();
  }
}

module.exports = { PlexSim };
