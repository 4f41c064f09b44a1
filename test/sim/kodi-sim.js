// A small Kodi JSON-RPC simulator: HTTP POST /jsonrpc with basic auth on one port, WebSocket notifications on
// another, as ../shared/reference/protocols.md describes Kodi 20. For fast tests of the client and the Node-RED
// glue; behaviour that matters is proven against a real Kodi (test/kodi-real/).
'use strict';
const http = require('node:http');
const { WebSocketServer } = require('ws');

class KodiSim {
  constructor({ username = 'kodi', password = 'secret-kodi-pw' } = {}) {
    this.username = username;
    this.password = password;
    this.requests = []; // {method, params}
    this.wsAccepted = 0;
    this.mode = 'ok'; // 'ok' | 'malformed' | 'html'
    this.activePlayers = []; // [{playerid, type, item, speed, percentage}]
    this.handlers = {
      'JSONRPC.Ping': () => 'pong',
      'JSONRPC.Version': () => ({ version: { major: 13, minor: 0, patch: 0 } }),
      'XBMC.GetInfoLabels': (params) =>
        Object.fromEntries(
          (params.labels || []).map((l) => [
            l,
            { 'System.FriendlyName': 'Sim Kodi', 'System.BuildVersion': '20.1 (20.1.0)' }[l] || '',
          ]),
        ),
      'Player.GetActivePlayers': () =>
        this.activePlayers.map((p) => ({ playerid: p.playerid, type: p.type, playertype: 'internal' })),
      'Player.GetItem': (params) => ({ item: this.player(params.playerid).item }),
      'Player.GetProperties': (params) => {
        const p = this.player(params.playerid);
        return {
          speed: p.speed,
          percentage: p.percentage,
          time: secondsToKodi(p.timeS ?? 60),
          totaltime: secondsToKodi(p.totalS ?? 600),
        };
      },
    };
    // A small video library: sources, items, and what a scan of a folder adds (see addOnScan).
    this.sources = [];
    this.items = []; // {type: movie|episode|tvshow, id, title, file, showtitle?, season?, episode?}
    this.pendingScans = []; // {directory, items}
    this.scanning = false;
    this.nextId = 1;
    this.timers = [];
    Object.assign(this.handlers, {
      'Files.GetSources': () => ({
        sources: this.sources.map((file, i) => ({ file, label: `Source ${i + 1}` })),
      }),
      'XBMC.GetInfoBooleans': () => ({
        'Library.IsScanning': this.scanning,
        'Library.IsScanningVideo': this.scanning,
      }),
      'VideoLibrary.Scan': (params) => {
        this.scan(params.directory || '');
        return 'OK';
      },
      'VideoLibrary.GetMovies': (params) => this.list('movie', 'movies', 'movieid', params),
      // A user's state of one item (the loaded profile's): play count, last played, resume point, user rating.
      'VideoLibrary.GetMovieDetails': (params) => ({ moviedetails: this.details('movie', params.movieid) }),
      'VideoLibrary.GetEpisodeDetails': (params) => ({
        episodedetails: this.details('episode', params.episodeid),
      }),
      'VideoLibrary.SetMovieDetails': (params) => this.setDetails('movie', params.movieid, params),
      'VideoLibrary.SetEpisodeDetails': (params) => this.setDetails('episode', params.episodeid, params),
      'VideoLibrary.GetEpisodes': (params) => this.list('episode', 'episodes', 'episodeid', params),
      'VideoLibrary.GetTVShows': (params) => this.list('tvshow', 'tvshows', 'tvshowid', params),
      'VideoLibrary.GetMusicVideos': (params) =>
        this.list('musicvideo', 'musicvideos', 'musicvideoid', params),
    });
    this.httpPort = 0;
    this.wsPort = 0;
    this.parts = new WeakMap();
  }

  /**
   * When `directory` (or a folder above it) is scanned, `items` join the library; with `exact`, only a scan of
   * `directory` itself brings them in (a folder Kodi's directory cache did not list when its parent was scanned).
   */
  addOnScan(directory, items, { exact = false } = {}) {
    this.pendingScans.push({ directory, items, exact });
  }

  /**
   * Kodi's directory cache, as the real one behaves: it listed the folder above `directory` before `directory` was
   * made, so a scan of `directory` is skipped ("does not exist - skipping scan") until that folder is listed again
   * (Files.GetDirectory). The listings asked for are kept in `listed`.
   */
  staleListingOf(directory) {
    this.stale = this.stale || new Set();
    this.stale.add(directory);
    this.listed = this.listed || [];
    this.handlers['Files.GetDirectory'] = (params) => {
      this.listed.push(params.directory);
      for (const d of this.stale) {
        if (d.slice(0, d.slice(0, -1).lastIndexOf('/') + 1) === params.directory) this.stale.delete(d);
      }
      return { files: [], limits: { start: 0, end: 0, total: 0 } };
    };
  }

  /** The next scan of `directory` runs `ms` and adds nothing (a slow or stuck targeted scan). */
  hangNextScan(directory, ms) {
    this.hang = { directory, ms };
  }

  /** A scan started by someone else (another app, Kodi's own schedule) until endExternalScan(). */
  startExternalScan() {
    this.scanning = true;
    this.notify('VideoLibrary.OnScanStarted');
  }

  endExternalScan() {
    this.scanning = false;
    this.notify('VideoLibrary.OnScanFinished');
  }

  scan(directory) {
    this.scanning = true;
    if (this.hang && this.hang.directory === directory) {
      const { ms } = this.hang;
      this.hang = undefined;
      this.notify('VideoLibrary.OnScanStarted');
      this.timers.push(setTimeout(() => this.endExternalScan(), ms));
      return;
    }
    this.timers.push(
      setTimeout(() => {
        this.notify('VideoLibrary.OnScanStarted');
        if (this.stale && this.stale.has(directory)) {
          this.scanning = false;
          this.notify('VideoLibrary.OnScanFinished');
          return;
        }
        const isDue = (p) => (p.exact ? p.directory === directory : p.directory.startsWith(directory));
        const due = this.pendingScans.filter(isDue);
        this.pendingScans = this.pendingScans.filter((p) => !isDue(p));
        for (const { items } of due) {
          for (const item of items) {
            const added = { id: this.nextId++, ...item };
            this.items.push(added);
            this.notify('VideoLibrary.OnUpdate', { item: { id: added.id, type: added.type }, added: true });
          }
        }
        this.scanning = false;
        this.notify('VideoLibrary.OnScanFinished');
      }, 5),
    );
  }

  /** Kodi's path filters: "path" is the item's folder (with its separator), "filename" its bare name. */
  list(type, key, idKey, params) {
    const sepAt = (f) => Math.max(f.lastIndexOf('/'), f.lastIndexOf('\\'));
    // Each item's folder and file name, worked out once per item (a bulk asks about 10,000 items many times).
    const parts = (item) => {
      if (!this.parts.has(item)) {
        const at = sepAt(item.file);
        this.parts.set(item, {
          folder: item.type === 'tvshow' ? item.file : item.file.slice(0, at + 1),
          name: item.file.slice(at + 1),
        });
      }
      return this.parts.get(item);
    };
    // A filter made into a test once per request; an `or` of folder prefixes (a bulk's lookup) is a set lookup of
    // the item folder's own prefixes, not one comparison per rule.
    const compile = (filter) => {
      if (!filter) return () => true;
      if (filter.and) {
        const all = filter.and.map(compile);
        return (item) => all.every((t) => t(item));
      }
      if (filter.or) {
        const prefixes = filter.or.every((f) => f.field === 'path' && f.operator === 'startswith')
          ? new Set(filter.or.map((f) => f.value))
          : undefined;
        if (prefixes) {
          return (item) => {
            const { folder } = parts(item);
            for (let i = 0; i < folder.length; i++) {
              if ((folder[i] === '/' || folder[i] === '\\') && prefixes.has(folder.slice(0, i + 1)))
                return true;
            }
            return prefixes.has(folder);
          };
        }
        const any = filter.or.map(compile);
        return (item) => any.some((t) => t(item));
      }
      // Fields other than the path (title, year, tvshow, season, episode): compared as Kodi's "is" does, as text.
      const FIELDS = {
        title: 'title',
        year: 'year',
        tvshow: 'showtitle',
        season: 'season',
        episode: 'episode',
      };
      if (FIELDS[filter.field]) {
        if (filter.operator !== 'is') throw new Error(`sim: operator ${filter.operator} on ${filter.field}`);
        const prop = FIELDS[filter.field];
        return (item) => String(item[prop] ?? '').toLowerCase() === String(filter.value).toLowerCase();
      }
      return (item) => {
        const { folder, name } = parts(item);
        const value = filter.field === 'path' ? folder : name;
        if (filter.operator === 'is') return value === filter.value;
        if (filter.operator === 'startswith') return value.startsWith(filter.value);
        throw new Error(`sim: operator ${filter.operator}`);
      };
    };
    // Properties outside the type's Video.Fields are refused, as Kodi does (-32602): e.g. `year` on episodes.
    const properties = params.properties || [];
    const unknown = properties.filter((p) => !VIDEO_FIELDS[type].includes(p));
    if (unknown.length > 0) {
      throw Object.assign(new Error(`Invalid params (${type} has no ${unknown.join(', ')})`), {
        rpcCode: -32602,
      });
    }
    const test = compile(params.filter);
    const matching = this.items.filter((i) => i.type === type && test(i));
    // limits {start, end}: end exclusive, -1 (or none) for all; both clamped to the total, as Kodi's ParseLimits.
    const total = matching.length;
    const limits = params.limits || {};
    const start = Math.min(Math.max(limits.start ?? 0, 0), total);
    const end =
      limits.end === undefined || limits.end < 0 ? total : Math.min(Math.max(limits.end, start), total);
    const rows = matching.slice(start, end).map((i) => {
      const row = {
        [idKey]: i.id,
        label: i.title,
        title: i.title,
        file: i.file,
        showtitle: i.showtitle,
        season: i.season,
        episode: i.episode,
      };
      // The user's state and the other fields, when asked for: the item's own value, else Kodi's "none".
      for (const p of properties) if (!(p in row)) row[p] = i[p] ?? FIELD_DEFAULTS[p];
      return row;
    });
    return { [key]: rows, limits: { start, end, total } };
  }

  /**
   * `n` movies at once (a large library, fast): "Movie 0001" (2000) at `${folder}/Movie 0001 (2000)/Movie 0001
   * (2000).mkv`, uniqueid imdb tt0000001…, every `watchedEvery`-th one played (0: none). Numbering goes on across
   * calls. Returns the items.
   */
  addMovies(n, { folder = '/data/movies', watchedEvery = 0 } = {}) {
    const first = (this.moviesAdded || 0) + 1;
    this.moviesAdded = first - 1 + n;
    const width = Math.max(4, String(this.moviesAdded).length);
    const added = [];
    for (let k = first; k < first + n; k++) {
      const name = `Movie ${String(k).padStart(width, '0')}`;
      const watched = watchedEvery > 0 && k % watchedEvery === 0;
      added.push({
        type: 'movie',
        id: this.nextId++,
        title: name,
        year: 2000,
        file: `${folder}/${name} (2000)/${name} (2000).mkv`,
        uniqueid: { imdb: `tt${String(k).padStart(7, '0')}` },
        playcount: watched ? 1 : 0,
        lastplayed: watched ? '2024-01-01 20:00:00' : '',
      });
    }
    this.items.push(...added);
    return added;
  }

  /**
   * `n` episodes of one show at once: "Episode 001" of season 1, `${folder}/${show}/Season 01/${show} S01E001.mkv`,
   * first aired 2010, every `watchedEvery`-th one played. Returns the items.
   */
  addEpisodes(n, { folder = '/data/tv', show = 'Show', watchedEvery = 0 } = {}) {
    const added = [];
    for (let k = 1; k <= n; k++) {
      const code = `S01E${String(k).padStart(3, '0')}`;
      const watched = watchedEvery > 0 && k % watchedEvery === 0;
      added.push({
        type: 'episode',
        id: this.nextId++,
        title: `Episode ${String(k).padStart(3, '0')}`,
        file: `${folder}/${show}/Season 01/${show} ${code}.mkv`,
        showtitle: show,
        season: 1,
        episode: k,
        firstaired: '2010-01-01',
        uniqueid: { tvdb: String(1000 + k) },
        playcount: watched ? 1 : 0,
      });
    }
    this.items.push(...added);
    return added;
  }

  /** One item's details as Kodi answers Get…Details with playcount, lastplayed, resume, userrating. */
  details(type, id) {
    const item = this.items.find((i) => i.type === type && i.id === id);
    if (!item) throw Object.assign(new Error('Invalid params'), { rpcCode: -32602 });
    const idKey = type === 'movie' ? 'movieid' : 'episodeid';
    return {
      [idKey]: item.id,
      label: item.title,
      playcount: item.playcount ?? 0,
      lastplayed: item.lastplayed ?? '',
      resume: item.resume ?? { position: 0, total: 0 },
      userrating: item.userrating ?? 0,
    };
  }

  /** Set…Details: playcount, lastplayed, resume (position 0 deletes it), userrating; announced as OnUpdate. */
  setDetails(type, id, params) {
    const item = this.items.find((i) => i.type === type && i.id === id);
    if (!item) throw Object.assign(new Error('Invalid params'), { rpcCode: -32602 });
    this.detailWrites = [...(this.detailWrites || []), { type, id, params }];
    if (params.playcount !== undefined) item.playcount = params.playcount;
    if (params.lastplayed !== undefined) item.lastplayed = params.lastplayed;
    if (params.userrating !== undefined) item.userrating = params.userrating;
    if (params.resume !== undefined) {
      item.resume =
        params.resume.position > 0
          ? { position: params.resume.position, total: params.resume.total > 0 ? params.resume.total : 600 }
          : { position: 0, total: 0 };
    }
    this.notify('VideoLibrary.OnUpdate', { item: { id, type }, playcount: item.playcount });
    return 'OK';
  }

  player(id) {
    const p = this.activePlayers.find((x) => x.playerid === id);
    if (!p) throw Object.assign(new Error('Invalid params'), { rpcCode: -32602 });
    return p;
  }

  async start() {
    this.httpServer = http.createServer((req, res) => this.onHttp(req, res));
    this.sockets = new Set();
    this.httpServer.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await listen(this.httpServer, this.httpPort);
    this.httpPort = this.httpServer.address().port;
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: this.wsPort, path: '/jsonrpc' });
    await new Promise((resolve) => this.wss.on('listening', resolve));
    this.wsPort = this.wss.address().port;
    this.wss.on('connection', (ws) => {
      this.wsAccepted++;
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw));
        if (this.deaf) return; // a hung Kodi: the socket stays open, nothing answers
        if (msg.id !== undefined) ws.send(JSON.stringify(this.answer(msg)));
      });
    });
    return this;
  }

  get openSockets() {
    return this.wss ? this.wss.clients.size : 0;
  }

  async stop() {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.wss) {
      for (const ws of this.wss.clients) ws.terminate();
      await new Promise((resolve) => this.wss.close(resolve));
      this.wss = undefined;
    }
    if (this.httpServer) {
      for (const s of this.sockets) s.destroy();
      await new Promise((resolve) => this.httpServer.close(resolve));
      this.httpServer = undefined;
    }
  }

  /** Stops and starts again on the same ports, as a Kodi restart does. */
  async restart() {
    await this.stop();
    await this.start();
  }

  notify(method, data = null) {
    if (!this.wss) return; // stopped
    const frame = JSON.stringify({ jsonrpc: '2.0', method, params: { sender: 'xbmc', data } });
    for (const ws of this.wss.clients) ws.send(frame);
  }

  answer(msg) {
    this.requests.push({ method: msg.method, params: msg.params });
    const handler = this.handlers[msg.method];
    if (!handler)
      return { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found.' } };
    try {
      return { jsonrpc: '2.0', id: msg.id, result: handler(msg.params || {}) };
    } catch (err) {
      return { jsonrpc: '2.0', id: msg.id, error: { code: err.rpcCode || -32603, message: err.message } };
    }
  }

  onHttp(req, res) {
    if (req.method !== 'POST' || req.url !== '/jsonrpc') {
      res.writeHead(404).end('Not found');
      return;
    }
    const expected = 'Basic ' + Buffer.from(`${this.username}:${this.password}`).toString('base64');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="XBMC"' }).end('401 Unauthorized');
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (this.mode === 'malformed') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"jsonrpc":"2.0","result":');
        return;
      }
      if (this.rawAnswer) {
        // A hostile or broken server: `rawAnswer(request)` returns the body to send as it is (a string or a
        // Buffer, or a function that writes the response itself), or undefined to answer as Kodi does.
        const raw = this.rawAnswer(JSON.parse(body));
        if (typeof raw === 'function') return raw(res);
        if (raw !== undefined) {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(raw);
          return;
        }
      }
      if (this.mode === 'html') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Router login</body></html>');
        return;
      }
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(this.answer(JSON.parse(body))));
    });
  }
}

/** Video.Fields.* of Kodi's JSON-RPC schema (v13, Kodi 20): the properties each listing takes. */
const VIDEO_FIELDS = {
  movie: (
    'title genre year rating director trailer tagline plot plotoutline originaltitle lastplayed playcount writer ' +
    'studio mpaa cast country imdbnumber runtime set showlink streamdetails top250 votes fanart thumbnail file ' +
    'sorttitle resume setid dateadded tag art userrating ratings premiered uniqueid'
  ).split(' '),
  episode: (
    'title plot votes rating writer firstaired playcount runtime director productioncode season episode ' +
    'originaltitle showtitle cast streamdetails lastplayed fanart thumbnail file resume tvshowid dateadded ' +
    'uniqueid art specialsortseason specialsortepisode userrating seasonid ratings'
  ).split(' '),
  tvshow: (
    'title genre year rating plot studio mpaa cast playcount episode imdbnumber premiered votes lastplayed fanart ' +
    'thumbnail file originaltitle sorttitle episodeguide season watchedepisodes dateadded tag art userrating ' +
    'ratings runtime uniqueid'
  ).split(' '),
  musicvideo: (
    'title playcount runtime director studio year plot album artist genre track streamdetails lastplayed fanart ' +
    'thumbnail file resume dateadded tag art rating userrating premiered'
  ).split(' '),
};

/** What Kodi answers for a property an item has no value of. */
const FIELD_DEFAULTS = {
  year: 0,
  playcount: 0,
  resume: { position: 0, total: 0 },
  uniqueid: {},
  firstaired: '',
  lastplayed: '',
  dateadded: '',
  premiered: '',
  userrating: 0,
  rating: 0,
  runtime: 0,
  imdbnumber: '',
  originaltitle: '',
  sorttitle: '',
  plot: '',
  art: {},
  genre: [],
  tag: [],
  cast: [],
  director: [],
  writer: [],
  studio: [],
  country: [],
};

function secondsToKodi(s) {
  return { hours: Math.floor(s / 3600), minutes: Math.floor(s / 60) % 60, seconds: s % 60, milliseconds: 0 };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

module.exports = { KodiSim };
