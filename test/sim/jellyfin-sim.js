// Jellyfin simulator, as ../shared/reference/protocols.md describes the server (10.8 – 12), pitfalls included:
// /Library/Media/Updated answers 204 for any body and acts only after the library monitor delay, and only for
// paths inside a library; /Library/Refresh cancels a running scan; legacy auth is refused unless turned on;
// DELETE /Items/{id} would delete files (recorded so tests can prove it is never called).
// Users and their data on items (protocols-people.md section 2): the user-less routes (/UserPlayedItems,
// /UserFavoriteItems, /UserItems/{id}/UserData) only from 10.9, 404 before, and 404 without a userId (an API key has
// no user); the /Users/{uid}/... routes always, but the user-data write there only from 10.9 and on Emby; mark played
// and unplayed as Jellyfin's BaseItem.MarkPlayed / MarkUnplayed do.
'use strict';
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { HttpSim } = require('./http-sim');

const hex = () => crypto.randomBytes(16).toString('hex');
const TYPE_FOR = { movies: 'Movie', tvshows: 'Episode', musicvideos: 'MusicVideo' };
const FOLDER_TYPES = ['Series', 'Season', 'Folder', 'BoxSet'];

class JellyfinSim extends HttpSim {
  constructor({
    apiKey = 'jf-key-0123456789abcdef',
    legacyAuth = false,
    monitorDelayMs = 200,
    scanMs = 300,
    refreshMs = 30,
    emby = false,
  } = {}) {
    super();
    /** Emby instead of Jellyfin: the API under /emby, the token in X-Emby-Token, Recursive on item refreshes. */
    this.emby = emby;
    this.apiKey = apiKey;
    this.legacyAuth = legacyAuth;
    this.monitorDelayMs = monitorDelayMs;
    this.scanMs = scanMs;
    /** How long an item refresh of a folder (a library, a show) takes to find what is new below it. */
    this.refreshMs = refreshMs;
    this.itemRefreshes = [];
    this.serverName = 'Sim Jellyfin';
    this.version = '10.10.7';
    this.libraries = []; // {Name, ItemId, CollectionType, Locations}
    this.disk = new Map(); // file path -> {name}
    this.items = []; // {Id, Name, Type, Path, ParentId, ProviderIds, DateLastRefreshed, DateCreated?, DateLastSaved? (ms)}
    /** Items' DateCreated/DateLastSaved unless given (ms): an hour before the sim started. */
    this.bornAt = Date.now() - 3600_000;
    this.sessions = [];
    this.task = { Name: 'Scan Media Library', Key: 'RefreshLibrary', Id: hex(), State: 'Idle' };
    this.cancelledScans = 0;
    this.timers = [];
    this.users = []; // {Id, Name, HasPassword, Policy: {IsAdministrator, IsDisabled}}
    this.userData = new Map(); // `${userId}/${itemId}` -> {Played, PlayCount, PlaybackPositionTicks, IsFavorite, Rating, LastPlayedDate}
    this.userDataWrites = []; // {method, path, query, body}: every user-data write, in order
    // Playlists (PlaylistsController): {Id, Name, MediaType, OwnerUserId, Shares: [{UserId, CanEdit}], OpenAccess,
    // entries: [{ItemId, PlaylistItemId}]}
    this.playlists = [];
    this.playlistWrites = []; // {method, path, query, body, status}: every playlist write, refused ones too
  }

  /** A user (not an administrator unless asked). */
  addUser(name, { admin = false } = {}) {
    const user = {
      Id: hex(),
      Name: name,
      HasPassword: false,
      Policy: { IsAdministrator: admin, IsDisabled: false },
    };
    this.users.push(user);
    return user;
  }

  /** The user's data on the item, as stored (a fresh record for an item the user never touched). */
  userDataOf(userId, itemId) {
    const key = `${userId}/${itemId}`;
    let data = this.userData.get(key);
    if (!data) {
      data = { Played: false, PlayCount: 0, PlaybackPositionTicks: 0, IsFavorite: false };
      this.userData.set(key, data);
    }
    return data;
  }

  /** When the item was last saved (ms): given, else an hour before the sim started (a library already there). */
  savedOf(item) {
    return item.DateLastSaved ?? item.DateCreated ?? this.bornAt;
  }

  /** Jellyfin saves the item again (a refresh, a new file): DateLastSaved now; `path` moves its file. */
  touch(id, { path, name } = {}) {
    const item = this.items.find((i) => i.Id === id);
    if (!item) throw new Error(`sim: no item ${id}`);
    item.DateLastSaved = Math.max(Date.now(), this.savedOf(item) + 1);
    if (name !== undefined) item.Name = name;
    if (path !== undefined) {
      this.disk.delete(item.Path);
      this.disk.set(path, { name: item.Name });
      item.Path = path;
    }
    return item;
  }

  /** The item leaves the library (and the disk). */
  removeItem(id) {
    const item = this.items.find((i) => i.Id === id);
    if (!item) throw new Error(`sim: no item ${id}`);
    this.disk.delete(item.Path);
    this.items = this.items.filter((i) => i !== item);
    return item;
  }

  addLibrary(name, collectionType, locations) {
    const lib = { Name: name, ItemId: hex(), CollectionType: collectionType, Locations: locations };
    this.libraries.push(lib);
    return lib;
  }

  /** A file appears on the server's disk (Jellyfin learns of it only by a refresh). */
  addFile(path, name) {
    this.disk.set(path, { name });
  }

  removeFile(path) {
    this.disk.delete(path);
  }

  /** A show already in the library: a folder item (Series) whose refresh finds new seasons and episodes. */
  addSeries(path, name) {
    const lib = this.libraryOf(path);
    const item = { Id: hex(), Name: name, Type: 'Series', Path: path, ParentId: lib.ItemId, ProviderIds: {} };
    this.items.push(item);
    return item;
  }

  /** A file on disk that is also in the library already. */
  addItem(path, name) {
    this.addFile(path, name);
    return this.sync(path);
  }

  libraryOf(path) {
    return this.libraries.find((l) => l.Locations.some((loc) => under(path, loc)));
  }

  /** Brings the library in line with the disk below `path`; returns the items added. */
  sync(path) {
    const lib = this.libraryOf(path);
    if (!lib) return [];
    this.items = this.items.filter(
      (i) => !(under(i.Path, path) && !FOLDER_TYPES.includes(i.Type) && !this.disk.has(i.Path)),
    );
    const added = [];
    for (const [file, { name }] of this.disk) {
      if (!under(file, path) || this.items.some((i) => i.Path === file)) continue;
      const item = {
        Id: hex(),
        Name: name,
        Type: TYPE_FOR[lib.CollectionType] || 'Video',
        Path: file,
        ParentId: lib.ItemId,
        ProviderIds: {},
        DateLastRefreshed: new Date().toISOString(),
        DateCreated: Date.now(),
      };
      this.items.push(item);
      added.push(item);
    }
    return added;
  }

  later(ms, fn) {
    this.timers.push(setTimeout(fn, ms));
  }

  /**
   * The WebSocket, as Jellyfin's (Session/SessionWebSocketListener.cs, WebSocketListeners/SessionInfoWebSocketListener.cs):
   * any path upgrades when the token is good (`?ApiKey=` or the Authorization header); ForceKeepAlive (Data 60)
   * on connect; KeepAlive answered; SessionsStart "initialDelayMs,intervalMs" subscribes to "Sessions" (API keys
   * may, from 10.10.6), sent when the sessions change. A socket opened with an API key is a session without a
   * user: the library messages (LibraryChanged, RefreshProgress) go to users' sessions only, so it gets none.
   */
  async start() {
    await super.start();
    this.wss = new WebSocket.Server({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url, 'http://sim');
      const token =
        url.searchParams.get('ApiKey') || this.token({ headers: req.headers, query: {} }) || undefined;
      this.socketRequests = [...(this.socketRequests || []), { url: req.url, headers: req.headers }];
      if (token !== this.apiKey) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.subscriptions = 0;
        ws.send(JSON.stringify({ MessageType: 'ForceKeepAlive', Data: 60 }));
        ws.on('message', (raw) => {
          let msg;
          try {
            msg = JSON.parse(String(raw));
          } catch {
            return;
          }
          if (msg.MessageType === 'KeepAlive') {
            this.keepAlives = (this.keepAlives || 0) + 1;
            ws.send(JSON.stringify({ MessageType: 'KeepAlive' }));
          }
          if (msg.MessageType === 'SessionsStart') {
            // Each SessionsStart adds a subscription (repeating it duplicates every frame); 10.9.0 to 10.10.5
            // refuse API keys (admin users only).
            if (apiKeyMaySubscribe(this.version)) ws.subscriptions = (ws.subscriptions || 0) + 1;
            else this.refusedSubscriptions = (this.refusedSubscriptions || 0) + 1;
          }
          if (msg.MessageType === 'SessionsStop') ws.subscriptions = 0;
        });
      });
    });
    return this;
  }

  /** The sessions changed (playback started or stopped): subscribers get "Sessions". */
  sessionsChanged() {
    const frame = JSON.stringify({ MessageType: 'Sessions', Data: this.sessions });
    for (const ws of this.wss ? this.wss.clients : [])
      for (let i = 0; i < ws.subscriptions; i++) ws.send(frame);
  }

  /** The subscriptions to Sessions, over every socket open now. */
  get subscriptions() {
    return [...(this.wss ? this.wss.clients : [])].reduce((n, ws) => n + ws.subscriptions, 0);
  }

  /** Drops every socket (a network hiccup, a server restart). */
  dropSockets() {
    for (const ws of this.wss.clients) ws.terminate();
  }

  /**
   * One session as GET /Sessions and the Sessions message list it (SessionInfoDto): a user's client playing a
   * movie or an episode at a position (seconds), or idle (no item).
   */
  static session({
    id = 'sess-1',
    user = 'anna',
    device = 'Pixel',
    client = 'Jellyfin Android',
    item,
    positionS = 0,
    paused = false,
  }) {
    const s = {
      Id: id,
      UserName: user,
      UserId: 'u-' + user,
      DeviceName: device,
      DeviceId: 'dev-' + device,
      Client: client,
    };
    if (!item) return s;
    s.NowPlayingItem = {
      Id: item.Id || 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      Name: item.Name,
      Type: item.Type || 'Movie',
      MediaType: 'Video',
      Path: item.Path,
      ProductionYear: item.ProductionYear,
      ProviderIds: item.ProviderIds || {},
      SeriesName: item.SeriesName,
      ParentIndexNumber: item.ParentIndexNumber,
      IndexNumber: item.IndexNumber,
      RunTimeTicks: (item.runtimeS || 600) * 10_000_000,
    };
    s.PlayState = { PositionTicks: Math.round(positionS * 10_000_000), IsPaused: paused, CanSeek: true };
    return s;
  }

  async stop() {
    if (this.wss) for (const ws of this.wss.clients) ws.terminate();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await super.stop();
  }

  token(req) {
    if (this.emby) return req.headers['x-emby-token'];
    const auth = req.headers.authorization || '';
    const m = /^MediaBrowser\s.*Token="([^"]*)"/.exec(auth);
    if (m) return m[1];
    if (this.legacyAuth) return req.headers['x-emby-token'] || req.query.api_key;
    return undefined;
  }

  handle(req, res) {
    if (this.emby) {
      // Emby's API lives under /emby; the log keeps the path without it, so that tests read the same paths.
      if (!req.path.startsWith('/emby/')) return res.writeHead(404).end();
      req.path = req.path.slice('/emby'.length);
    }
    const info = { ServerName: this.serverName, Version: this.version, Id: 'sim-jellyfin-id' };
    if (req.method === 'GET' && req.path === '/System/Info/Public') {
      if (this.starting) return res.writeHead(503).end(); // still starting up (a container just started)
      return this.json(res, 200, info);
    }
    if (this.token(req) !== this.apiKey) return res.writeHead(401).end();
    const route = `${req.method} ${req.path}`;
    let m;
    if (route === 'GET /System/Info') return this.json(res, 200, info);
    if (route === 'GET /Library/VirtualFolders') {
      const running = this.task.State === 'Running';
      return this.json(
        res,
        200,
        this.libraries.map((l) => ({
          ...l,
          RefreshStatus: running ? 'Active' : 'Idle',
          RefreshProgress: null,
        })),
      );
    }
    if (route === 'GET /Items' && /(^|,)playlist(,|$)/i.test(query(req, 'IncludeItemTypes') || ''))
      return this.listPlaylists(req, res);
    if (route === 'GET /Items') return this.listItems(req, res);
    if (route === 'POST /Library/Media/Updated') {
      // 204 whatever the body says; the work happens after the monitor delay, if at all.
      let updates = [];
      try {
        updates = JSON.parse(req.body || '{}').Updates || [];
      } catch {
        // Jellyfin answers 204 even then
      }
      for (const u of updates) if (u && u.Path) this.later(this.monitorDelayMs, () => this.sync(u.Path));
      return res.writeHead(204).end();
    }
    if (route === 'POST /Library/Refresh') {
      if (this.task.State === 'Running') {
        this.cancelledScans++; // a running scan is cancelled and queued again
        clearTimeout(this.scanTimer);
      }
      this.task.State = 'Running';
      this.scanTimer = setTimeout(() => {
        for (const lib of this.libraries) for (const loc of lib.Locations) this.sync(loc);
        this.task.State = 'Idle';
        this.task.LastExecutionResult = { Status: 'Completed', EndTimeUtc: new Date().toISOString() };
      }, this.scanMs);
      this.timers.push(this.scanTimer);
      return res.writeHead(204).end();
    }
    if ((m = /^POST \/Items\/([0-9a-f]+)\/Refresh$/.exec(route))) {
      this.itemRefreshes.push(m[1]);
      this.itemRefreshQueries = [...(this.itemRefreshQueries || []), req.query];
      // A library (its CollectionFolder) or a folder item (a show): its folders are walked at once, as Jellyfin's
      // ValidateChildren does, finding what is new or gone below it (no LibraryMonitorDelay: that is for
      // Media/Updated).
      const lib = this.libraries.find((l) => l.ItemId === m[1]);
      const folderItem = this.items.find((i) => i.Id === m[1] && FOLDER_TYPES.includes(i.Type));
      if (lib || folderItem) {
        const paths = lib ? lib.Locations : [folderItem.Path];
        this.later(this.refreshMs, () => {
          for (const p of paths) this.sync(p);
        });
        return res.writeHead(204).end();
      }
      const item = this.items.find((i) => i.Id === m[1]);
      if (!item) return res.writeHead(404).end();
      this.later(this.monitorDelayMs / 4, () => {
        item.DateLastRefreshed = new Date().toISOString();
        const file = this.disk.get(item.Path);
        if (file) item.Name = file.name;
      });
      return res.writeHead(204).end();
    }
    if ((m = /^DELETE \/Items\/([0-9a-f]+)$/.exec(route))) {
      this.deletes = (this.deletes || 0) + 1; // deletes the media files on a real server
      return res.writeHead(204).end();
    }
    if (route === 'GET /Sessions') return this.json(res, 200, this.sessions);
    if (route === 'GET /ScheduledTasks') return this.json(res, 200, [this.task]);
    if (route === 'POST /Users/New') {
      // UserController CreateUserByName: {Name, Password?}; a name taken already is refused (400).
      let body = {};
      try {
        body = JSON.parse(req.body || '{}');
      } catch {
        return res.writeHead(400).end();
      }
      if (typeof body.Name !== 'string' || !body.Name.trim()) return res.writeHead(400).end();
      if (this.users.some((u) => u.Name.toLowerCase() === body.Name.toLowerCase()))
        return res.writeHead(400).end();
      const user = this.addUser(body.Name);
      user.HasPassword = typeof body.Password === 'string' && body.Password !== '';
      this.passwords = { ...(this.passwords || {}), [user.Id]: body.Password };
      return this.json(res, 200, {
        Name: user.Name,
        Id: user.Id,
        HasPassword: user.HasPassword,
        Policy: user.Policy,
      });
    }
    if ((m = /^DELETE \/Users\/([0-9a-f]+)$/.exec(route))) {
      const at = this.users.findIndex((u) => u.Id === m[1]);
      if (at === -1) return res.writeHead(404).end();
      this.users.splice(at, 1);
      return res.writeHead(204).end();
    }
    if (route === 'GET /Users') {
      return this.json(
        res,
        200,
        this.users.map((u) => ({
          Name: u.Name,
          Id: u.Id,
          HasPassword: u.HasPassword,
          Policy: { ...u.Policy },
        })),
      );
    }
    if (/^\/Playlists(\/|$)/.test(req.path)) return this.handlePlaylists(req, res, route);
    return this.handleUserData(req, res, route);
  }

  /** Whether this version has the user-less user-data routes (10.9 and later, Jellyfin 12 too; never Emby). */
  get userlessRoutes() {
    if (this.emby) return false;
    const [major, minor] = this.version.split('.').map(Number);
    return major > 10 || (major === 10 && minor >= 9);
  }

  /** The user-data routes (PlaystateController, UserLibraryController, ItemsController); anything else: 404. */
  handleUserData(req, res, route) {
    const id = '([^/]+)';
    let m;
    let userId;
    let itemId;
    let action;
    if ((m = new RegExp(`^(POST|DELETE) /UserPlayedItems/${id}$`).exec(route)) && this.userlessRoutes)
      [action, userId, itemId] = ['played', query(req, 'userId'), m[2]];
    else if ((m = new RegExp(`^(POST|DELETE) /UserFavoriteItems/${id}$`).exec(route)) && this.userlessRoutes)
      [action, userId, itemId] = ['favourite', query(req, 'userId'), m[2]];
    else if ((m = new RegExp(`^(GET|POST) /UserItems/${id}/UserData$`).exec(route)) && this.userlessRoutes)
      [action, userId, itemId] = ['userdata', query(req, 'userId'), m[2]];
    else if ((m = new RegExp(`^(POST|DELETE) /Users/${id}/PlayedItems/${id}$`).exec(route)))
      [action, userId, itemId] = ['played', m[2], m[3]];
    else if ((m = new RegExp(`^(POST|DELETE) /Users/${id}/FavoriteItems/${id}$`).exec(route)))
      [action, userId, itemId] = ['favourite', m[2], m[3]];
    else if ((m = new RegExp(`^(GET) /Users/${id}/Items/${id}$`).exec(route)))
      [action, userId, itemId] = ['item', m[2], m[3]];
    else if (
      (m = new RegExp(`^(POST) /Users/${id}/Items/${id}/UserData$`).exec(route)) &&
      (this.emby || this.userlessRoutes)
    )
      [action, userId, itemId] = ['userdata', m[2], m[3]];
    else return res.writeHead(404).end();
    // No userId: an API key is a user-less administrator, and these routes answer 404 for it.
    const norm = (v) =>
      String(v || '')
        .replace(/-/g, '')
        .toLowerCase();
    const user = this.users.find((u) => u.Id === norm(userId));
    const item = this.items.find((i) => i.Id === norm(itemId));
    if (!user || !item) return res.writeHead(404).end();
    const data = this.userDataOf(user.Id, item.Id);
    const method = req.method;
    if (method !== 'GET') {
      let body;
      try {
        body = req.body ? JSON.parse(req.body) : undefined;
      } catch {
        return res.writeHead(400).end();
      }
      this.userDataWrites.push({ method, path: req.path, query: req.query, body });
      if (action === 'played' && method === 'POST') {
        const raw = query(req, 'datePlayed');
        let date;
        if (raw) {
          date = parseDate(raw, this.emby);
          if (!date) return res.writeHead(400).end();
        }
        // BaseItem.MarkPlayed(user, datePlayed, resetPosition: true)
        if (date) data.PlayCount++;
        data.PlayCount = Math.max(data.PlayCount, 1);
        data.PlaybackPositionTicks = 0;
        data.LastPlayedDate = date || data.LastPlayedDate || new Date().toISOString();
        data.Played = true;
      } else if (action === 'played') {
        // BaseItem.MarkUnplayed
        Object.assign(data, {
          PlayCount: 0,
          PlaybackPositionTicks: 0,
          LastPlayedDate: undefined,
          Played: false,
        });
      } else if (action === 'favourite') {
        data.IsFavorite = method === 'POST';
      } else if (action === 'userdata') {
        if (!body || typeof body !== 'object') return res.writeHead(400).end();
        const fields = [
          'PlaybackPositionTicks',
          'PlayCount',
          'IsFavorite',
          'Played',
          'Rating',
          'LastPlayedDate',
        ];
        for (const f of fields) {
          const v = field(body, f);
          // Jellyfin's UpdateUserItemDataDto: only what is sent changes. Emby's UserItemDataDto has non-nullable
          // Played, PlayCount, IsFavorite, PlaybackPositionTicks: the sim takes the pessimistic reading, a field
          // left out is false or 0.
          if (v !== undefined && v !== null) data[f] = v;
          else if (this.emby && ['PlaybackPositionTicks', 'PlayCount'].includes(f)) data[f] = 0;
          else if (this.emby && ['IsFavorite', 'Played'].includes(f)) data[f] = false;
        }
      }
    }
    const dto = { ...data, Key: item.Id, ItemId: item.Id };
    if (action === 'item') {
      return this.json(res, 200, {
        Id: item.Id,
        Name: item.Name,
        Type: item.Type,
        Path: item.Path,
        UserData: dto,
      });
    }
    return this.json(res, 200, dto);
  }

  /**
   * `n` movies at once (a large library, fast): "Movie 0001" (2000) at `${folder}/Movie 0001 (2000)/Movie 0001
   * (2000).mkv`, ProviderIds Imdb tt0000001…, on disk and in the library holding `folder` (a "Movies" library of
   * it when none does); with `userId`, every `watchedEvery`-th one played by that user (0: none). Numbering goes on
   * across calls. Returns the items.
   */
  addMovies(n, { folder = '/data/movies', userId, watchedEvery = 0 } = {}) {
    const lib = this.libraryOf(folder) || this.addLibrary('Movies', 'movies', [folder]);
    const first = (this.moviesAdded || 0) + 1;
    this.moviesAdded = first - 1 + n;
    const width = Math.max(4, String(this.moviesAdded).length);
    const now = new Date().toISOString();
    const added = [];
    for (let k = first; k < first + n; k++) {
      const name = `Movie ${String(k).padStart(width, '0')}`;
      const path = `${folder}/${name} (2000)/${name} (2000).mkv`;
      this.disk.set(path, { name });
      const item = {
        Id: hex(),
        Name: name,
        Type: 'Movie',
        Path: path,
        ParentId: lib.ItemId,
        ProviderIds: { Imdb: `tt${String(k).padStart(7, '0')}` },
        ProductionYear: 2000,
        DateLastRefreshed: now,
      };
      added.push(item);
      if (userId && watchedEvery > 0 && k % watchedEvery === 0) {
        this.userData.set(`${normId(userId)}/${item.Id}`, {
          Played: true,
          PlayCount: 1,
          PlaybackPositionTicks: 0,
          IsFavorite: false,
          LastPlayedDate: now,
        });
      }
    }
    this.items.push(...added);
    return added;
  }

  /**
   * `n` episodes of one show at once ("Episode 001", season 1, aired 2010), at `${folder}/${show}/Season 01/${show}
   * S01E001.mkv`, in the library holding `folder` (a "Shows" library of it when none does); with `userId`, every
   * `watchedEvery`-th one played. Returns the items.
   */
  addEpisodes(n, { folder = '/data/tv', show = 'Show', userId, watchedEvery = 0 } = {}) {
    const lib = this.libraryOf(folder) || this.addLibrary('Shows', 'tvshows', [folder]);
    const added = [];
    for (let k = 1; k <= n; k++) {
      const path = `${folder}/${show}/Season 01/${show} S01E${String(k).padStart(3, '0')}.mkv`;
      const name = `Episode ${String(k).padStart(3, '0')}`;
      this.disk.set(path, { name });
      const item = {
        Id: hex(),
        Name: name,
        Type: 'Episode',
        Path: path,
        ParentId: lib.ItemId,
        ProviderIds: { Tvdb: String(1000 + k) },
        ProductionYear: 2010,
        SeriesName: show,
        ParentIndexNumber: 1,
        IndexNumber: k,
      };
      added.push(item);
      if (userId && watchedEvery > 0 && k % watchedEvery === 0) {
        this.userData.set(`${normId(userId)}/${item.Id}`, {
          Played: true,
          PlayCount: 1,
          PlaybackPositionTicks: 0,
          IsFavorite: false,
        });
      }
    }
    this.items.push(...added);
    return added;
  }

  /**
   * GET /Items (ItemsController): ParentId, IncludeItemTypes, Fields (Path, ProviderIds, DateLastRefreshed),
   * StartIndex/Limit with TotalRecordCount. With a userId the user's data comes along as UserData unless
   * EnableUserData=false (an unknown user gets none). The default BaseItemDto fields (ProductionYear, SeriesName,
   * ParentIndexNumber, IndexNumber) come when the item has them. Query names without case, as ASP.NET binds them.
   */
  listItems(req, res) {
    const q = req.query;
    let items = this.items;
    if (q.ParentId || q.parentId) {
      const parent = q.ParentId || q.parentId;
      const lib = this.libraries.find((l) => l.ItemId === parent);
      // Recursive under a library: every item below its locations; else the parent's own children.
      const recursive = String(q.Recursive ?? q.recursive).toLowerCase() === 'true';
      items = items.filter((i) =>
        recursive && lib ? lib.Locations.some((loc) => under(i.Path, loc)) : i.ParentId === parent,
      );
    }
    // MinDateLastSaved: items saved at or after it (ItemsController, 10.8 to 12).
    const minSaved = query(req, 'MinDateLastSaved');
    if (minSaved) items = items.filter((i) => this.savedOf(i) >= Date.parse(minSaved));
    if (/^SortName/i.test(String(query(req, 'SortBy') || ''))) {
      items = [...items].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : a.Id < b.Id ? -1 : 1));
    }
    const types = q.IncludeItemTypes || q.includeItemTypes;
    if (types) items = items.filter((i) => types.split(',').includes(i.Type));
    const fields = (q.Fields || q.fields || '').split(',');
    const start = Number(q.StartIndex || q.startIndex || 0);
    const limit = q.Limit || q.limit ? Number(q.Limit || q.limit) : items.length;
    this.unpagedListings = (this.unpagedListings || 0) + (q.Limit || q.limit ? 0 : 1);
    const userId = normId(query(req, 'userId') || '');
    const user = userId ? this.users.find((u) => u.Id === userId) : undefined;
    const withUserData = user && String(query(req, 'EnableUserData')).toLowerCase() !== 'false';
    const page = items.slice(start, start + limit).map((i) => {
      const out = { Id: i.Id, Name: i.Name, Type: i.Type, ParentId: i.ParentId };
      for (const k of ['ProductionYear', 'SeriesName', 'ParentIndexNumber', 'IndexNumber'])
        if (i[k] !== undefined) out[k] = i[k];
      if (fields.includes('Path')) out.Path = i.Path;
      if (fields.includes('ProviderIds')) out.ProviderIds = i.ProviderIds;
      if (fields.includes('DateLastRefreshed')) out.DateLastRefreshed = i.DateLastRefreshed;
      if (fields.includes('DateCreated'))
        out.DateCreated = new Date(i.DateCreated ?? this.bornAt).toISOString();
      // The Etag: an MD5 of DateLastSaved's ticks (BaseItem.GetEtag), so it changes whenever the item is saved.
      if (fields.includes('Etag'))
        out.Etag = crypto
          .createHash('md5')
          .update(String(this.savedOf(i)))
          .digest('hex');
      if (withUserData) {
        // As stored, without adding a record for an item the user never touched.
        const data = this.userData.get(`${user.Id}/${i.Id}`) || {
          Played: false,
          PlayCount: 0,
          PlaybackPositionTicks: 0,
          IsFavorite: false,
        };
        out.UserData = { ...data, Key: i.Id, ItemId: i.Id };
      }
      return out;
    });
    return this.json(res, 200, { Items: page, TotalRecordCount: items.length, StartIndex: start });
  }

  // ---- Playlists (PlaylistsController, protocols-people.md section 2; Emby section 5) ----
  // Jellyfin 10.9 and later check the user: a playlist is seen by its owner, the users it is shared with and, when
  // public, everyone; it is changed by its owner and the users it is shared with for editing. An API key is no
  // user: without a userId the calls that need one answer 400 (Jellyfin's GetUserById throws on an empty id), and
  // so does the removal on 10.9.0 to 10.10.x, which takes no userId at all (10.11 lets API keys remove). 10.8 and
  // Emby check nothing. Ids the server does not know are left out when MediaType is given (only without it does
  // creation refuse them, 400), and so are items the playlist already holds. PlaylistItemId is the entry's own id
  // up to 10.10.1 (a number on Emby), the item's id from 10.10.2.

  /** Whether this version checks the playlist's users (Jellyfin 10.9 and later, not Emby). */
  get playlistUsersChecked() {
    return !this.emby && versionAtLeast(this.version, 10, 9, 0);
  }

  /** A playlist owned by the user (a test's starting point), holding the items; returns it. */
  addPlaylist(userId, name, itemIds = [], { mediaType = 'Video', isPublic = false, shares = [] } = {}) {
    const playlist = {
      Id: hex(),
      Name: name,
      MediaType: mediaType,
      OwnerUserId: normId(userId),
      Shares: shares.map((s) => ({ UserId: normId(s.UserId), CanEdit: Boolean(s.CanEdit) })),
      OpenAccess: isPublic,
      entries: [],
    };
    this.playlists.push(playlist);
    this.addToPlaylist(playlist, itemIds);
    return playlist;
  }

  /** The playlist's entries whose item the library still has, in order, as [entry, item]. */
  playlistEntries(playlist) {
    return playlist.entries
      .map((e) => [e, this.items.find((i) => i.Id === e.ItemId)])
      .filter(([, item]) => item !== undefined);
  }

  /** Adds the ids the library knows, leaving out ones the playlist holds already; returns how many were added. */
  addToPlaylist(playlist, ids) {
    let added = 0;
    for (const raw of ids) {
      const id = normId(raw);
      if (!this.items.some((i) => i.Id === id) || playlist.entries.some((e) => e.ItemId === id)) continue;
      let entryId = hex(); // Jellyfin up to 10.10.1: the entry's own id
      if (this.emby) entryId = String((this.nextEntryId = (this.nextEntryId || 1000) + 1));
      else if (versionAtLeast(this.version, 10, 10, 2)) entryId = id; // from 10.10.2: the item's id
      playlist.entries.push({ ItemId: id, PlaylistItemId: entryId });
      added++;
    }
    return added;
  }

  /** Whether the user sees the playlist (10.9+: owner, shared with, or public; before: owner or shared with). */
  playlistVisible(playlist, userId) {
    if (this.playlistUsersChecked && playlist.OpenAccess) return true;
    return playlist.OwnerUserId === userId || playlist.Shares.some((s) => s.UserId === userId);
  }

  /** GET /Items?IncludeItemTypes=Playlist: the playlists the user sees (all of them without a userId). */
  listPlaylists(req, res) {
    const userId = normId(query(req, 'userId') || '');
    const list = this.playlists.filter((p) => !userId || this.playlistVisible(p, userId));
    const Items = list.map((p) => ({
      Id: p.Id,
      Name: p.Name,
      Type: 'Playlist',
      MediaType: p.MediaType,
      IsFolder: true,
    }));
    return this.json(res, 200, { Items, TotalRecordCount: Items.length, StartIndex: 0 });
  }

  handlePlaylists(req, res, route) {
    const write = (status) => {
      let body;
      try {
        body = req.body ? JSON.parse(req.body) : undefined;
      } catch {
        body = req.body;
      }
      this.playlistWrites.push({ method: req.method, path: req.path, query: req.query, body, status });
    };
    const refuse = (status) => {
      if (req.method !== 'GET') write(status);
      return res.writeHead(status).end();
    };
    if (route === 'POST /Playlists') return this.createPlaylist(req, res, write, refuse);
    const m = /^(GET|POST|DELETE) \/Playlists\/([^/]+)\/Items$/.exec(route);
    if (!m) return res.writeHead(404).end();
    const playlist = this.playlists.find((p) => p.Id === normId(m[2]));
    const userId = normId(query(req, 'userId') || '');
    const user = this.users.find((u) => u.Id === userId);
    if (this.playlistUsersChecked) {
      // The user named, else the key's user (none): GetUserById(empty) throws, 400.
      const removal = m[1] === 'DELETE';
      if (removal && !versionAtLeast(this.version, 10, 11, 0)) return refuse(400);
      if (!removal && !user) return refuse(400);
      if (!playlist || (!removal && !this.playlistVisible(playlist, userId))) return refuse(404);
      const mayEdit =
        playlist.OwnerUserId === userId || playlist.Shares.some((s) => s.UserId === userId && s.CanEdit);
      if (m[1] === 'POST' && !mayEdit) return refuse(403);
    } else {
      if (m[1] === 'GET' && !this.emby && !userId) return refuse(400); // [Required] userId on 10.8
      if (!playlist) return refuse(m[1] === 'GET' || this.emby ? 404 : 400); // 10.8 writes: ArgumentException
    }
    if (m[1] === 'GET') {
      const all = this.playlistEntries(playlist);
      const start = Number(query(req, 'startIndex') || 0);
      const limitRaw = query(req, 'limit');
      const page = all.slice(start, limitRaw === undefined ? undefined : start + Number(limitRaw));
      this.playlistListings = (this.playlistListings || 0) + 1;
      return this.json(res, 200, {
        Items: page.map(([e, i]) => ({
          Id: i.Id,
          Name: i.Name,
          Type: i.Type,
          PlaylistItemId: e.PlaylistItemId,
        })),
        TotalRecordCount: all.length,
        StartIndex: start,
      });
    }
    if (m[1] === 'POST') {
      this.addToPlaylist(playlist, splitIds(query(req, 'ids')));
      write(204);
      return res.writeHead(204).end();
    }
    const gone = new Set(splitIds(query(req, 'entryIds')));
    playlist.entries = playlist.entries.filter((e) => !gone.has(e.PlaylistItemId));
    write(204);
    return res.writeHead(204).end();
  }

  /**
   * POST /Playlists. Jellyfin: the query (obsolete, still read first) or the body {Name, Ids, UserId, MediaType};
   * 10.9+ also Users [{UserId, CanEdit}] and IsPublic, which is true when left out of a body (the DTO's default) and
   * false when there is no body; Name is required in a 10.9+ body. Emby: the query only. → {Id}.
   */
  createPlaylist(req, res, write, refuse) {
    let body;
    if (req.body && !this.emby) {
      try {
        body = JSON.parse(req.body);
      } catch {
        return refuse(400);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse(400);
    }
    const from = (name) => query(req, name) ?? (body ? field(body, name) : undefined);
    if (this.playlistUsersChecked && body && typeof field(body, 'Name') !== 'string') return refuse(400);
    const name = from('Name');
    const idsQuery = splitIds(query(req, 'Ids'));
    const idsBody = body ? field(body, 'Ids') : undefined;
    const ids = idsQuery.length > 0 ? idsQuery : Array.isArray(idsBody) ? idsBody : splitIds(idsBody);
    const user = this.users.find((u) => u.Id === normId(from('UserId') || ''));
    const mediaType = from('MediaType');
    if (typeof name !== 'string' || !user) return refuse(400);
    if (!mediaType && ids.some((id) => !this.items.some((i) => i.Id === normId(id)))) return refuse(400);
    const users = this.playlistUsersChecked && body ? field(body, 'Users') || [] : [];
    const isPublic = this.playlistUsersChecked && body ? (field(body, 'IsPublic') ?? true) : false;
    const playlist = this.addPlaylist(user.Id, name, ids, {
      mediaType: mediaType || 'Video',
      isPublic,
      shares: users,
    });
    write(200);
    return this.json(res, 200, { Id: playlist.Id });
  }
}

/** Whether `version` ("10.10.7", "12.0.0") is `major.minor.patch` or later. */
function versionAtLeast(version, major, minor, patch) {
  const [a = 0, b = 0, c = 0] = String(version).split('.').map(Number);
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}

/** A comma-separated id list of a query (none when absent). */
function splitIds(value) {
  return typeof value === 'string' && value !== '' ? value.split(',') : [];
}

/** An id as the sim stores it: without dashes, lower case. */
function normId(id) {
  return String(id).replace(/-/g, '').toLowerCase();
}

/** A query parameter, its name without case (ASP.NET binds them so). */
function query(req, name) {
  const key = Object.keys(req.query).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : req.query[key];
}

/** A body field, its name without case (Jellyfin's JSON options). */
function field(body, name) {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

/**
 * datePlayed: Jellyfin's LegacyDateTimeModelBinder takes yyyyMMddHHmmss or an ISO date; Emby only yyyyMMddHHmmss
 * (UTC). The ISO form of the date, or undefined when it does not parse.
 */
function parseDate(raw, embyOnly) {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(raw);
  if (m) return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])).toISOString();
  if (embyOnly) return undefined;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Whether an API key may subscribe to Sessions: 10.8, and 10.10.6 on (10.9.0 to 10.10.5: admin users only). */
function apiKeyMaySubscribe(version) {
  const [major, minor, patch] = version.split('.').map(Number);
  const v = major * 1e6 + minor * 1e3 + patch;
  return v < 10_009_000 || v >= 10_010_006;
}

/** Whether `path` is `folder` or below it; Windows-style paths compare without case. */
function under(path, folder) {
  const windows = /^[a-zA-Z]:\\|^\\\\/.test(folder);
  const norm = (p) => {
    const s = windows ? p.replace(/\//g, '\\').toLowerCase() : p;
    return s.replace(/[\\/]+$/, '');
  };
  const p = norm(path);
  const f = norm(folder);
  const sep = windows ? '\\' : '/';
  return p === f || p.startsWith(f + sep);
}

module.exports = { JellyfinSim, under };
