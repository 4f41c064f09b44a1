// Plex Media Server simulator, as ../shared/reference/protocols.md describes the server, pitfalls included:
// XML unless Accept: application/json; 401 for a wrong token; PUT on the section refresh URL answers 404 (PMS
// 1.32.7+); a refresh of a path that matches nothing still answers 200; section listings are paged;
// DELETE /library/metadata/{key} would delete files (recorded so tests can prove it is never called).
// The token owner's data on items (protocols-people.md section 2): /:/scrobble and /:/unscrobble (PUT, GET answered
// too), /:/timeline (ignored, with 200, without a duration or a client identifier), /:/rate (-1 clears).
'use strict';
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { HttpSim } = require('./http-sim');
const { under } = require('./jellyfin-sim');

const LIBRARY = 'com.plexapp.plugins.library';

class PlexSim extends HttpSim {
  constructor({ token = 'plex-token-abcdef123456', scanMs = 200 } = {}) {
    super();
    /** The notification socket: 'on', 'off' (404, as an old or proxied server), or 'refuse' (401 on upgrade). */
    this.socketMode = 'on';
    this.token = token;
    /** Tokens of other users for this server (token → user name), and their state of each item. */
    this.userTokens = new Map();
    this.views = new Map();
    this.scanMs = scanMs;
    this.machineIdentifier = 'sim-plex-machine';
    this.version = '1.41.3.9314';
    this.sections = []; // {key, title, type, Location: [{id, path}], refreshing}
    this.disk = new Map(); // file -> {title}
    // {ratingKey, title, type, sectionKey, file, addedAt?, updatedAt?, partId?, size?; the owner's data: viewCount, viewOffset (ms), userRating,
    // lastViewedAt (epoch s), each absent until set}
    this.items = [];
    this.userDataWrites = []; // {method, path, query, headers}: every user-data call, in order
    this.playlists = []; // {ratingKey, title, smart, playlistType, items: [{ratingKey, playlistItemID}]}
    this.playlistWrites = []; // {method, path, query, status}: every playlist write, refused ones too
    /** false: PUT /:/scrobble and /:/unscrobble answer 405 (a server that takes GET only). */
    this.putScrobble = true;
    this.sessions = [];
    this.nextKey = 100;
    this.timers = [];
    /** Items' addedAt/updatedAt unless given (epoch s): an hour before the sim started. */
    this.bornAt = Math.floor(Date.now() / 1000) - 3600;
  }

  async start() {
    await super.start();
    // /:/websockets/notifications, as Plex Media Server: the token in a header (or the query), frames
    // {NotificationContainer: {type, ...}}.
    this.wss = new WebSocket.Server({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url, 'http://sim');
      const token = req.headers['x-plex-token'] || url.searchParams.get('X-Plex-Token');
      this.socketRequests = (this.socketRequests || 0) + 1;
      this.socketTokens = [
        ...(this.socketTokens || []),
        { header: req.headers['x-plex-token'], url: req.url },
      ];
      let refuse;
      if (url.pathname !== '/:/websockets/notifications' || this.socketMode === 'off')
        refuse = '404 Not Found';
      else if (token !== this.token || this.socketMode === 'refuse') refuse = '401 Unauthorized';
      if (refuse) {
        socket.end(`HTTP/1.1 ${refuse}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
    });
    return this;
  }

  /** Sends one notification frame to every socket. */
  notify(container) {
    const frame = JSON.stringify({ NotificationContainer: container });
    for (const ws of this.wss ? this.wss.clients : []) ws.send(frame);
  }

  /**
   * A play session as GET /status/sessions lists it (Metadata with User, Player, Session): `user` playing the item
   * with `ratingKey` on a client, at a position (seconds).
   */
  static session({
    key = '21',
    ratingKey = '101',
    user = 'anna',
    device = 'Living Room TV',
    product = 'Plex for LG',
    item = {},
    positionS = 0,
    state = 'playing',
  }) {
    return {
      sessionKey: key,
      ratingKey,
      key: `/library/metadata/${ratingKey}`,
      type: item.type || 'movie',
      title: item.title || 'Arrival',
      year: item.year,
      grandparentTitle: item.grandparentTitle,
      parentIndex: item.parentIndex,
      index: item.index,
      duration: (item.runtimeS || 600) * 1000,
      viewOffset: Math.round(positionS * 1000),
      Guid: item.Guid,
      Media: [{ id: 1, Part: [{ id: 1, file: item.file || '/data/movies/Arrival (2016)/Arrival.mkv' }] }],
      User: { id: '1', title: user },
      Player: { state, machineIdentifier: `m-${device}`, product, title: device, local: true },
      Session: { id: `s-${key}`, location: 'lan' },
    };
  }

  /**
   * A client reports its state (Plex's /:/timeline from the client): the session changes, and the notification
   * socket says `playing` with the session key, state and position only. "stopped" ends the session.
   */
  playState(key, state, positionS) {
    const session = this.sessions.find((s) => s.sessionKey === key);
    if (!session) throw new Error(`no session ${key}`);
    session.Player.state = state === 'stopped' ? 'playing' : state;
    if (positionS !== undefined) session.viewOffset = Math.round(positionS * 1000);
    if (state === 'stopped') this.sessions = this.sessions.filter((s) => s !== session);
    this.notify({
      type: 'playing',
      size: 1,
      PlaySessionStateNotification: [
        {
          sessionKey: key,
          clientIdentifier: session.Player.machineIdentifier,
          guid: '',
          ratingKey: session.ratingKey,
          key: session.key,
          url: '',
          viewOffset: session.viewOffset,
          playQueueItemID: 1,
          state,
        },
      ],
    });
  }

  /** Where a request's user keeps its state of an item: the item itself for the owner, a record of its own else. */
  viewOf(item, req) {
    if (req.plexUser === undefined) return item;
    const key = `${req.plexUser}|${item.ratingKey}`;
    if (!this.views.has(key)) this.views.set(key, {});
    return this.views.get(key);
  }

  /** Drops every notification socket (a network hiccup, a server restart). */
  dropSockets() {
    for (const ws of this.wss.clients) ws.terminate();
  }

  activity(event, uuid, section) {
    this.notify({
      type: 'activity',
      size: 1,
      ActivityNotification: [
        {
          event,
          uuid,
          Activity: {
            uuid,
            type: 'library.update.section',
            title: `Scanning ${section.title}`,
            progress: event === 'ended' ? 100 : 0,
            Context: { librarySectionID: section.key },
          },
        },
      ],
    });
  }

  /**
   * An item's addedAt and updatedAt (epoch seconds): those it was given, else an hour before the sim started (a
   * library that was there already).
   */
  stampsOf(item) {
    const addedAt = item.addedAt ?? this.bornAt;
    return { addedAt, updatedAt: item.updatedAt ?? addedAt };
  }

  /**
   * Plex saves the item again (a metadata refresh, a new file): updatedAt moves on (at least a second past its
   * last one); `file` replaces the media part (a new part id).
   */
  touch(ratingKey, { file, title } = {}) {
    const item = this.items.find((i) => i.ratingKey === String(ratingKey));
    if (!item) throw new Error(`sim: no item ${ratingKey}`);
    item.updatedAt = Math.max(Math.floor(Date.now() / 1000), this.stampsOf(item).updatedAt + 1);
    if (title !== undefined) item.title = title;
    if (file !== undefined) {
      this.disk.delete(item.file);
      this.disk.set(file, { title: item.title });
      item.file = file;
      item.partId = this.nextKey++;
    }
    return item;
  }

  /** The item leaves the library (and the disk), as a scan after its file was deleted. */
  removeItem(ratingKey) {
    const item = this.items.find((i) => i.ratingKey === String(ratingKey));
    if (!item) throw new Error(`sim: no item ${ratingKey}`);
    this.disk.delete(item.file);
    this.items = this.items.filter((i) => i !== item);
    return item;
  }

  addSection(title, type, paths) {
    const key = String(this.sections.length + 1);
    const section = {
      key,
      title,
      type,
      refreshing: false,
      Location: paths.map((path, i) => ({ id: i + 1, path })),
    };
    this.sections.push(section);
    return section;
  }

  addFile(file, title) {
    this.disk.set(file, { title });
  }

  removeFile(file) {
    this.disk.delete(file);
  }

  addItem(file, title) {
    this.addFile(file, title);
    const section = this.sectionOf(file);
    this.scanSection(section, file);
  }

  sectionOf(path) {
    return this.sections.find((s) => s.Location.some((l) => under(path, l.path)));
  }

  /** A partial scan: adds files present below `path`, drops items whose file is gone. */
  scanSection(section, path) {
    this.items = this.items.filter(
      (i) => !(i.sectionKey === section.key && under(i.file, path) && !this.disk.has(i.file)),
    );
    for (const [file, { title }] of this.disk) {
      if (!under(file, path) || this.sectionOf(file) !== section || this.items.some((i) => i.file === file))
        continue;
      const type = section.type === 'show' ? 'episode' : 'movie';
      this.items.push({ ratingKey: String(this.nextKey++), title, type, sectionKey: section.key, file });
    }
  }

  /** The section `sectionKey`, or the one holding `folder`, or a new one of `type` for `folder`. */
  sectionFor(folder, sectionKey, title, type) {
    const section =
      sectionKey !== undefined
        ? this.sections.find((s) => s.key === String(sectionKey))
        : this.sectionOf(folder);
    if (section) return section;
    if (sectionKey !== undefined) throw new Error(`sim: no section ${sectionKey}`);
    return this.addSection(title, type, [folder]);
  }

  /**
   * `n` movies at once (a large library, fast): "Movie 0001" (2000) at `${folder}/Movie 0001 (2000)/Movie 0001
   * (2000).mkv`, Guid imdb://tt0000001…, on disk and in section `sectionKey` (else the one holding `folder`, else a
   * new "Movies" section of it); every `watchedEvery`-th one played (viewCount 1; 0: none). Numbering goes on across
   * calls. Returns the items.
   */
  addMovies(n, { folder = '/data/movies', sectionKey, watchedEvery = 0 } = {}) {
    const section = this.sectionFor(folder, sectionKey, 'Movies', 'movie');
    const first = (this.moviesAdded || 0) + 1;
    this.moviesAdded = first - 1 + n;
    const width = Math.max(4, String(this.moviesAdded).length);
    const viewedAt = Math.floor(Date.now() / 1000);
    const added = [];
    for (let k = first; k < first + n; k++) {
      const title = `Movie ${String(k).padStart(width, '0')}`;
      const file = `${folder}/${title} (2000)/${title} (2000).mkv`;
      this.disk.set(file, { title });
      const item = {
        ratingKey: String(this.nextKey++),
        title,
        type: 'movie',
        sectionKey: section.key,
        file,
        year: 2000,
        Guid: [{ id: `imdb://tt${String(k).padStart(7, '0')}` }],
      };
      if (watchedEvery > 0 && k % watchedEvery === 0)
        Object.assign(item, { viewCount: 1, lastViewedAt: viewedAt });
      added.push(item);
    }
    this.items.push(...added);
    return added;
  }

  /**
   * `n` episodes of one show at once ("Episode 001", season 1, 2010) at `${folder}/${show}/Season 01/${show}
   * S01E001.mkv`, Guid tvdb://1001…, in section `sectionKey` (else the one holding `folder`, else a new "Shows"
   * section of it); every `watchedEvery`-th one played. Returns the items.
   */
  addEpisodes(n, { folder = '/data/tv', show = 'Show', sectionKey, watchedEvery = 0 } = {}) {
    const section = this.sectionFor(folder, sectionKey, 'Shows', 'show');
    const added = [];
    for (let k = 1; k <= n; k++) {
      const title = `Episode ${String(k).padStart(3, '0')}`;
      const file = `${folder}/${show}/Season 01/${show} S01E${String(k).padStart(3, '0')}.mkv`;
      this.disk.set(file, { title });
      const item = {
        ratingKey: String(this.nextKey++),
        title,
        type: 'episode',
        sectionKey: section.key,
        file,
        year: 2010,
        grandparentTitle: show,
        parentIndex: 1,
        index: k,
        Guid: [{ id: `tvdb://${1000 + k}` }],
      };
      if (watchedEvery > 0 && k % watchedEvery === 0) item.viewCount = 1;
      added.push(item);
    }
    this.items.push(...added);
    return added;
  }

  async stop() {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.wss) for (const ws of this.wss.clients) ws.terminate();
    await super.stop();
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
      return this.send(req, res, {
        size: 0,
        machineIdentifier: this.machineIdentifier,
        version: this.version,
      });
    }
    const token = req.headers['x-plex-token'] || req.query['X-Plex-Token'];
    // Other users' tokens for this server (home users, friends: plex.tv hands them out): each sees its own state.
    req.plexUser = token === this.token ? undefined : this.userTokens.get(token);
    if (token !== this.token && req.plexUser === undefined) {
      return res
        .writeHead(401, { 'Content-Type': 'text/html' })
        .end('<html><h1>401 Unauthorized</h1></html>');
    }
    const route = `${req.method} ${req.path}`;
    let m;
    if (route === 'GET /') {
      return this.send(req, res, {
        friendlyName: 'Sim Plex',
        version: this.version,
        machineIdentifier: this.machineIdentifier,
      });
    }
    if (route === 'GET /library/sections') {
      return this.send(req, res, {
        size: this.sections.length,
        Directory: this.sections.map((s) => ({ ...s })),
      });
    }
    if ((m = /^(GET|POST|PUT|DELETE) \/library\/sections\/(\d+)\/refresh$/.exec(route))) {
      const section = this.sections.find((s) => s.key === m[2]);
      if (!section || m[1] === 'PUT') return res.writeHead(404).end(); // PUT: 404 since PMS 1.32.7
      if (m[1] === 'DELETE') {
        section.refreshing = false;
        return res.writeHead(200).end();
      }
      const path = req.query.path;
      section.refreshing = true;
      const uuid = crypto.randomUUID();
      this.activity('started', uuid, section);
      this.timers.push(
        setTimeout(() => {
          // 200 was already sent, even for a path that matches nothing
          const before = new Set(this.items.map((i) => i.ratingKey));
          if (path === undefined) for (const l of section.Location) this.scanSection(section, l.path);
          else if (section.Location.some((l) => under(path, l.path))) this.scanSection(section, path);
          const added = this.items.filter((i) => !before.has(i.ratingKey));
          if (added.length > 0) {
            this.notify({
              type: 'timeline',
              size: added.length,
              TimelineEntry: added.map((i) => ({
                identifier: 'com.plexapp.plugins.library',
                itemID: i.ratingKey,
                sectionID: section.key,
                type: i.type === 'episode' ? 4 : 1,
                title: i.title,
                state: 5,
              })),
            });
          }
          section.refreshing = false;
          this.refreshEndedAt = Date.now();
          this.activity('ended', uuid, section);
        }, this.scanMs),
      );
      return res.writeHead(200).end();
    }
    if ((m = /^GET \/library\/sections\/(\d+)\/all$/.exec(route))) {
      const section = this.sections.find((s) => s.key === m[1]);
      if (!section) return res.writeHead(404).end();
      const wanted = req.query.type === '4' ? 'episode' : req.query.type === '1' ? 'movie' : undefined;
      // updatedAt>>=<epoch> on the wire (the key `updatedAt>>`, or `updatedAt>`): strictly after, as Plex; the keys
      // `updatedAt>=` and `updatedAt>>=` are taken and ignored, as Plex does.
      const afterKey = Object.keys(req.query).find((k) => /^updatedAt>{1,2}$/.test(k));
      const after = afterKey === undefined ? undefined : Number(req.query[afterKey]);
      const all = this.items.filter(
        (i) =>
          i.sectionKey === section.key &&
          (!wanted || i.type === wanted) &&
          (after === undefined || this.stampsOf(i).updatedAt > after),
      );
      const start = Number(req.headers['x-plex-container-start'] ?? req.query['X-Plex-Container-Start'] ?? 0);
      const sizeRaw = req.headers['x-plex-container-size'] ?? req.query['X-Plex-Container-Size'];
      if (sizeRaw === undefined) this.unpagedListings = (this.unpagedListings || 0) + 1;
      const size = sizeRaw === undefined ? all.length : Number(sizeRaw);
      const page = all.slice(start, start + size).map((i) => {
        const meta = {
          ratingKey: i.ratingKey,
          key: `/library/metadata/${i.ratingKey}`,
          type: i.type,
          title: i.title,
          ...this.stampsOf(i),
          Media: [
            {
              id: Number(i.ratingKey),
              Part: [{ id: i.partId ?? Number(i.ratingKey), file: i.file, size: i.size ?? 1_000_000 }],
            },
          ],
        };
        // What the item has of these (an episode's show, season and number; the year), and the owner's data,
        // each only when set (Plex leaves out viewCount 0 and an unset rating); Guid[] with includeGuids=1.
        for (const k of ['year', 'grandparentTitle', 'parentIndex', 'index'])
          if (i[k] !== undefined) meta[k] = i[k];
        const view = this.viewOf(i, req);
        for (const k of ['viewCount', 'viewOffset', 'userRating', 'lastViewedAt'])
          if (view[k] !== undefined && view[k] !== 0) meta[k] = view[k];
        if (req.query.includeGuids === '1' && i.Guid) meta.Guid = i.Guid;
        return meta;
      });
      return this.send(req, res, { size: page.length, totalSize: all.length, offset: start, Metadata: page });
    }
    if ((m = /^GET \/library\/metadata\/(\d+)$/.exec(route))) {
      // One item, as Plex lists it (with Guid[] when includeGuids=1).
      const item = this.items.find((i) => i.ratingKey === m[1]);
      if (!item) return res.writeHead(404).end();
      const meta = {
        ratingKey: item.ratingKey,
        key: `/library/metadata/${item.ratingKey}`,
        type: item.type,
        title: item.title,
        duration: item.duration,
        Media: [{ id: Number(item.ratingKey), Part: [{ id: Number(item.ratingKey), file: item.file }] }],
      };
      // The owner's data, each attribute only when set (Plex leaves out viewCount 0 and an unset rating).
      const view = this.viewOf(item, req);
      for (const k of ['viewCount', 'viewOffset', 'userRating', 'lastViewedAt'])
        if (view[k] !== undefined && view[k] !== 0) meta[k] = view[k];
      if (req.query.includeGuids === '1' && item.Guid) meta.Guid = item.Guid;
      return this.send(req, res, { size: 1, Metadata: [meta] });
    }
    if ((m = /^PUT \/library\/metadata\/(\d+)\/refresh$/.exec(route))) {
      const item = this.items.find((i) => i.ratingKey === m[1]);
      if (!item) return res.writeHead(404).end();
      const file = this.disk.get(item.file);
      if (file) item.title = file.title;
      return res.writeHead(200).end();
    }
    if ((m = /^DELETE \/library\/metadata\/(\d+)$/.exec(route))) {
      this.deletes = (this.deletes || 0) + 1; // deletes the media files on a real server
      return res.writeHead(200).end();
    }
    if (route === 'GET /status/sessions') {
      const container = { size: this.sessions.length, Metadata: JSON.parse(JSON.stringify(this.sessions)) };
      if (this.holdSessions) {
        // A server under load: the list as it was when asked, answered when the test lets it go.
        const hold = this.holdSessions;
        this.holdSessions = undefined;
        hold.asked = true;
        hold.release = () => this.send(req, res, container);
        return undefined;
      }
      return this.send(req, res, container);
    }
    if ((m = /^(PUT|GET) \/:\/(scrobble|unscrobble)$/.exec(route))) {
      this.userDataWrites.push({
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
      });
      if (m[1] === 'PUT' && !this.putScrobble) return res.writeHead(405).end();
      const found = this.items.find((i) => i.ratingKey === req.query.key);
      if (req.query.identifier !== LIBRARY || !found) return res.writeHead(404).end();
      const item = this.viewOf(found, req);
      if (m[2] === 'scrobble') {
        // Sets the state only (no view-history entry); the resume point goes.
        item.viewCount = (item.viewCount || 0) + 1;
        item.lastViewedAt = Math.floor(Date.now() / 1000);
      } else {
        item.viewCount = 0;
      }
      item.viewOffset = undefined;
      return res.writeHead(200).end();
    }
    if (route === 'POST /:/timeline') {
      this.userDataWrites.push({
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
      });
      const q = req.query;
      const found = this.items.find((i) => i.ratingKey === q.ratingKey);
      const item = found && this.viewOf(found, req);
      const client = req.headers['x-plex-client-identifier'] || q['X-Plex-Client-Identifier'];
      // Without a duration, a client identifier, a time or a state Plex ignores it, answering 200 all the same.
      if (!item || !client || !q.duration || q.time === undefined || !q.state || q.identifier !== LIBRARY)
        return res.writeHead(200).end();
      const time = Number(q.time);
      if (q.state === 'stopped' && time > 0) {
        // Played past 90 % (Plex's default "video played threshold"): watched, the resume point gone.
        if (time >= 0.9 * Number(q.duration)) {
          item.viewCount = (item.viewCount || 0) + 1;
          item.lastViewedAt = Math.floor(Date.now() / 1000);
          item.viewOffset = undefined;
        } else {
          item.viewOffset = time;
        }
      }
      return res.writeHead(200).end();
    }
    if (route === 'PUT /:/rate') {
      this.userDataWrites.push({
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
      });
      const found = this.items.find((i) => i.ratingKey === req.query.key);
      const rating = Number(req.query.rating);
      if (req.query.identifier !== LIBRARY || !found) return res.writeHead(404).end();
      const item = this.viewOf(found, req);
      if (!Number.isFinite(rating) || rating < -1 || rating > 10) return res.writeHead(400).end();
      item.userRating = rating === -1 ? undefined : rating;
      return res.writeHead(200).end();
    }
    if (route === 'GET /activities') {
      const Activity = this.sections
        .filter((s) => s.refreshing)
        .map((s) => ({ type: 'library.update.section', Context: { librarySectionID: s.key } }));
      return this.send(req, res, { size: Activity.length, Activity });
    }
    if (/^\/playlists(\/|$)/.test(req.path)) return this.handlePlaylists(req, res, route);
    return res.writeHead(404).end();
  }

  // ---- Playlists (protocols-people.md section 2) ----
  // The token owner's playlists: {ratingKey, title, smart, playlistType, items: [{ratingKey, playlistItemID}]}.
  // Items are named by server://{machineIdentifier}/com.plexapp.plugins.library/library/metadata/{k1,k2,…}: another
  // machine or another form is 400; keys the library does not know are left out, and an item may be in a playlist
  // more than once (each entry its own playlistItemID). Smart playlists cannot be changed (400).

  /** A playlist (a test's starting point): `smart` for a saved query, `type` video or audio; returns it. */
  addPlaylist(title, ratingKeys = [], { smart = false, type = 'video' } = {}) {
    const playlist = { ratingKey: String(this.nextKey++), title, smart, playlistType: type, items: [] };
    this.playlists.push(playlist);
    this.addToPlaylist(playlist, ratingKeys);
    return playlist;
  }

  /** Adds the keys the library knows; returns how many were added. */
  addToPlaylist(playlist, keys) {
    let added = 0;
    for (const key of keys) {
      if (!this.items.some((i) => i.ratingKey === key)) continue;
      this.nextPlaylistItemId = (this.nextPlaylistItemId || 5000) + 1;
      playlist.items.push({ ratingKey: key, playlistItemID: this.nextPlaylistItemId });
      added++;
    }
    return added;
  }

  /** The keys a playlist uri names, or undefined when it is not this server's library uri. */
  keysOfUri(uri) {
    const m = /^server:\/\/([^/]+)\/com\.plexapp\.plugins\.library\/library\/metadata\/([^/?]+)$/.exec(
      uri || '',
    );
    if (!m || m[1] !== this.machineIdentifier) return undefined;
    return m[2].split(',');
  }

  playlistMeta(p) {
    return {
      ratingKey: p.ratingKey,
      key: `/playlists/${p.ratingKey}/items`,
      type: 'playlist',
      title: p.title,
      smart: p.smart,
      playlistType: p.playlistType,
      leafCount: p.items.length,
    };
  }

  handlePlaylists(req, res, route) {
    const write = (status) => {
      this.playlistWrites.push({ method: req.method, path: req.path, query: req.query, status });
      return status;
    };
    if (route === 'GET /playlists') {
      const wanted = req.query.playlistType;
      const list = this.playlists.filter((p) => !wanted || p.playlistType === wanted);
      return this.send(req, res, { size: list.length, Metadata: list.map((p) => this.playlistMeta(p)) });
    }
    if (route === 'POST /playlists') {
      const q = req.query;
      const keys = q.uri === undefined ? [] : this.keysOfUri(q.uri);
      if (!q.title || !['video', 'audio', 'photo'].includes(q.type) || q.smart === '1' || !keys)
        return res.writeHead(write(400)).end();
      const playlist = this.addPlaylist(q.title, keys, { type: q.type });
      write(200);
      return this.send(req, res, { size: 1, Metadata: [this.playlistMeta(playlist)] });
    }
    const m = /^(GET|PUT|DELETE) \/playlists\/(\d+)\/items(?:\/(\d+))?$/.exec(route);
    if (!m || (m[3] !== undefined) !== (m[1] === 'DELETE')) return res.writeHead(404).end();
    const playlist = this.playlists.find((p) => p.ratingKey === m[2]);
    if (m[1] === 'GET') {
      if (!playlist) return res.writeHead(404).end();
      const all = playlist.items
        .map((e) => [e, this.items.find((i) => i.ratingKey === e.ratingKey)])
        .filter(([, item]) => item !== undefined);
      const start = Number(req.headers['x-plex-container-start'] ?? req.query['X-Plex-Container-Start'] ?? 0);
      const sizeRaw = req.headers['x-plex-container-size'] ?? req.query['X-Plex-Container-Size'];
      const page = all.slice(start, sizeRaw === undefined ? undefined : start + Number(sizeRaw));
      this.playlistListings = (this.playlistListings || 0) + 1;
      return this.send(req, res, {
        size: page.length,
        totalSize: all.length,
        offset: start,
        Metadata: page.map(([e, i]) => ({
          ratingKey: i.ratingKey,
          key: `/library/metadata/${i.ratingKey}`,
          type: i.type,
          title: i.title,
          playlistItemID: e.playlistItemID,
        })),
      });
    }
    if (!playlist) return res.writeHead(write(404)).end();
    if (playlist.smart) return res.writeHead(write(400)).end();
    if (m[1] === 'PUT') {
      const keys = this.keysOfUri(req.query.uri);
      if (!keys) return res.writeHead(write(400)).end();
      const added = this.addToPlaylist(playlist, keys);
      write(200);
      return this.send(req, res, {
        leafCountAdded: added,
        leafCountRequested: keys.length,
        size: 1,
        Metadata: [this.playlistMeta(playlist)],
      });
    }
    const at = playlist.items.findIndex((e) => String(e.playlistItemID) === m[3]);
    if (at < 0) return res.writeHead(write(404)).end();
    playlist.items.splice(at, 1);
    write(200);
    return this.send(req, res, { size: 1, Metadata: [this.playlistMeta(playlist)] });
  }
}

module.exports = { PlexSim };
