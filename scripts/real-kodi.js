// Starts a real Kodi (Debian's package) headless under Xvfb, as ../shared/reference/real-kodi.md describes: its own
// HOME, free loopback ports, a movies and a TV source with the metadata.local scraper. Used by the end-to-end tests
// (test/kodi-real/kodi-harness.js shares one per test run) and by the bench.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const KODI_BIN = '/usr/lib/x86_64-linux-gnu/kodi/kodi.bin';
const USERNAME = 'kodi';
const PASSWORD = 'kodi-test-password';

/** What the real Kodi needs, as Debian packages (see .ci/apt-packages) and what shows each is installed. */
const KODI_NEEDS = [
  { pkg: 'kodi', file: KODI_BIN },
  { pkg: 'xvfb', command: 'Xvfb' },
  { pkg: 'sqlite3', command: 'sqlite3' },
  { pkg: 'ffmpeg', command: 'ffmpeg' },
];

/** The longest a test waits for one JSON-RPC answer. Kodi answers in milliseconds unless it has hung; the limit
 * leaves room for a machine that other work keeps busy (a slow answer is not a hang). */
const RPC_LIMIT_MS = 60000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function freeDisplay() {
  for (let i = 0; i < 200; i++) {
    const n = 100 + Math.floor(Math.random() * 800);
    if (!fs.existsSync(`/tmp/.X${n}-lock`) && !fs.existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new Error('no free X display number');
}

const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

class RealKodi {
  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-kodi-'));
    this.home = path.join(this.root, 'home');
    this.movies = path.join(this.root, 'media', 'movies') + '/';
    this.tv = path.join(this.root, 'media', 'tv') + '/';
    this.outside = path.join(this.root, 'media', 'outside') + '/';
    this.username = USERNAME;
    this.password = PASSWORD;
    this.children = [];
  }

  async start() {
    this.httpPort = await freePort();
    this.wsPort = await freePort();
    this.display = freeDisplay();
    const userdata = path.join(this.home, '.kodi', 'userdata');
    for (const dir of [userdata, this.movies, this.tv, this.outside]) fs.mkdirSync(dir, { recursive: true });
    const settings = {
      'services.webserver': 'true',
      'services.webserverport': this.httpPort,
      'services.webserverauthentication': 'true',
      'services.webserverusername': USERNAME,
      'services.webserverpassword': PASSWORD,
      'services.esenabled': 'true',
      'services.esallinterfaces': 'false',
      'services.zeroconf': 'false',
      'services.wsdiscovery': 'false',
      'services.upnp': 'false',
      'services.airplay': 'false',
      'general.addonupdates': '2',
      'audiooutput.streamsilence': '0',
      // No background jobs opening video files (thumbnails, stream details): the test movies are mostly stand-ins
      // that do not open, and those jobs running while playback starts were in both of the Kodi 20 aborts seen.
      'myvideos.extractflags': 'false',
      'myvideos.extractthumb': 'false',
      'myvideos.extractchapterthumbs': 'false',
    };
    fs.writeFileSync(
      path.join(userdata, 'guisettings.xml'),
      '<settings version="2">\n' +
        Object.entries(settings)
          .map(([id, v]) => `  <setting id="${id}">${v}</setting>`)
          .join('\n') +
        '\n</settings>\n',
    );
    fs.writeFileSync(
      path.join(userdata, 'advancedsettings.xml'),
      `<advancedsettings version="1.0"><jsonrpc><tcpport>${this.wsPort}</tcpport></jsonrpc></advancedsettings>\n`,
    );
    // No sound card here: without an audio sink Kodi's audio engine retries every 500 ms and Kodi 20 has been seen
    // to abort (a mutex assertion) when playback starts in that state. ALSA's null device is a sink that works.
    fs.writeFileSync(
      path.join(this.home, '.asoundrc'),
      'pcm.!default { type null }\nctl.!default { type hw card 0 }\n',
    );
    const source = (name, dir) =>
      `<source><name>${name}</name><path pathversion="1">${xml(dir)}</path><allowsharing>true</allowsharing></source>`;
    fs.writeFileSync(
      path.join(userdata, 'sources.xml'),
      `<sources><video><default pathversion="1"></default>${source('Movies', this.movies)}${source('TV', this.tv)}` +
        '</video></sources>\n',
    );
    this.spawn('Xvfb', [`:${this.display}`, '-screen', '0', '640x360x24', '-nolisten', 'tcp'], {});
    await this.until(() => fs.existsSync(`/tmp/.X11-unix/X${this.display}`), 'Xvfb', 20000);
    await this.startKodi();
    const db = path.join(userdata, 'Database', 'MyVideos121.db');
    await this.until(() => fs.existsSync(db), 'the video database', 30000);
    this.setContent(db, this.movies, 'movies', 2147483647);
    this.setContent(db, this.tv, 'tvshows', 0);
    return this;
  }

  /** Starts kodi.bin (again) with the same home, ports and display; resolves when it answers. */
  async startKodi() {
    // With SIGPIPE ignored (kept across exec): Kodi 20 started bare can die of SIGPIPE when a client closes its
    // socket while Kodi writes a notification to it, which every redeploy of a test flow does.
    this.death = undefined;
    this.stopping = false;
    const kodi = this.spawn('sh', ['-c', `trap '' PIPE; exec ${KODI_BIN} --standalone --windowing=x11`], {
      HOME: this.home,
      DISPLAY: `:${this.display}`,
      LIBGL_ALWAYS_SOFTWARE: '1',
      KODI_AE_SINK: 'ALSA',
      LP_NUM_THREADS: '1',
    });
    this.kodi = kodi;
    // Kodi ending when no test asked it to: said at once by rpc(), not found out by a test's time limit.
    kodi.once('exit', (code, signal) => {
      if (!this.stopping && this.kodi === kodi && !this.death) {
        this.death = signal || `exit code ${code}`;
        this.keepFiles = true;
      }
    });
    const answers = async () => {
      try {
        return (await this.rpc('JSONRPC.Version')).version.major >= 12;
      } catch {
        return false;
      }
    };
    await this.until(answers, 'Kodi to answer JSON-RPC', 90000);
  }

  /** Stops kodi.bin (Xvfb stays), as when the Kodi box is switched off. */
  async stopKodi() {
    const kodi = this.kodi;
    this.stopping = true;
    if (kodi.exitCode !== null || kodi.signalCode !== null) return;
    const exited = new Promise((resolve) => kodi.once('exit', resolve));
    kodi.kill('SIGTERM');
    const timer = setTimeout(() => kodi.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }

  /** Kills kodi.bin at once (Xvfb stays), as a crash or a power cut would: no goodbye on its WebSocket. */
  async crashKodi() {
    const kodi = this.kodi;
    this.stopping = true;
    if (kodi.exitCode !== null || kodi.signalCode !== null) return;
    const exited = new Promise((resolve) => kodi.once('exit', resolve));
    kodi.kill('SIGKILL');
    await exited;
  }

  /** A source's content type has no JSON-RPC: write it into the database, as Kodi's "Set content" would. */
  setContent(db, dir, content, recursive) {
    const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
    execFileSync('sqlite3', [
      db,
      `insert into path (strPath,strContent,strScraper,scanRecursive,useFolderNames,strSettings,noUpdate,exclude,allAudio) ` +
        `values (${q(dir)},${q(content)},'metadata.local',${recursive},0,'',0,0,0);`,
    ]);
  }

  spawn(cmd, args, env) {
    const logFile = path.join(
      this.root,
      `${args.join(' ').includes('kodi') ? 'kodi' : path.basename(cmd)}.log`,
    );
    const out = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.once('exit', (code, signal) =>
      fs.appendFileSync(logFile, `\n[harness] exited: code ${code}, signal ${signal}\n`),
    );
    this.children.push(child);
    return child;
  }

  async until(check, what, limitMs) {
    const deadline = Date.now() + limitMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline)
        throw new Error(`real Kodi: timed out waiting for ${what} (logs in ${this.root})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async rpc(method, params = {}) {
    if (this.death) {
      throw new Error(
        `real Kodi died (${this.death}); its log: ${path.join(this.home, '.kodi', 'temp', 'kodi.log')}`,
      );
    }
    let res;
    try {
      res = await fetch(`http://127.0.0.1:${this.httpPort}/jsonrpc`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: 'Basic ' + Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'),
        },
        body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
        signal: AbortSignal.timeout(RPC_LIMIT_MS),
      });
    } catch (err) {
      if (err.name !== 'TimeoutError' || this.stopping) throw err;
      // Kodi that holds a request this long has hung (seen once in Kodi 20 under Xvfb): it counts as dead, so the
      // next suite gets a new one, and its files stay for a look.
      this.death = `no answer to ${method} in ${RPC_LIMIT_MS / 1000} s`;
      this.keepFiles = true;
      this.kodi.kill('SIGKILL');
      throw new Error(
        `real Kodi hung: ${this.death}; its log: ${path.join(this.home, '.kodi', 'temp', 'kodi.log')}`,
        { cause: err },
      );
    }
    const body = await res.json();
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  }

  /**
   * A movie made by addMovie, into Kodi's library by a scan of its folder, the folder above listed first (Kodi skips a
   * folder its directory cache does not list yet); resolves with its library row once Kodi lists it.
   */
  async scanIn(movie, what, limitMs) {
    const above = path.dirname(movie.folder.replace(/\/$/, '')) + '/';
    await this.rpc('Files.GetDirectory', { directory: above, media: 'video' });
    await this.rpc('VideoLibrary.Scan', { directory: movie.folder, showdialogs: false });
    let row;
    await this.until(
      async () => {
        const { movies } = await this.rpc('VideoLibrary.GetMovies', {
          filter: { field: 'path', operator: 'is', value: movie.folder },
        });
        row = movies && movies[0];
        return row !== undefined;
      },
      what,
      limitMs,
    );
    return row;
  }

  /** A movie folder with a stand-in video and an NFO; returns its folder and file paths. */
  addMovie(title, year, { dir = this.movies, video = 'fake video' } = {}) {
    const folder = path.join(dir, `${title} (${year})`) + '/';
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${title} (${year}).mkv`);
    if (typeof video === 'string') fs.writeFileSync(file, video);
    else fs.copyFileSync(video.copyFrom, file);
    this.writeMovieNfo(folder, title, year);
    return { folder, file };
  }

  writeMovieNfo(folder, title, year) {
    const base = path.basename(folder.replace(/\/$/, ''));
    fs.writeFileSync(
      path.join(folder, `${base}.nfo`),
      `<movie><title>${xml(title)}</title><year>${year}</year></movie>\n`,
    );
  }

  /** A TV show folder with tvshow.nfo. */
  addShow(title, year) {
    const folder = path.join(this.tv, title) + '/';
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(
      path.join(folder, 'tvshow.nfo'),
      `<tvshow><title>${xml(title)}</title><year>${year}</year></tvshow>\n`,
    );
    return { folder };
  }

  addEpisode(show, season, episode, title) {
    const s = String(season).padStart(2, '0');
    const e = String(episode).padStart(2, '0');
    const folder = path.join(this.tv, show, `Season ${s}`) + '/';
    fs.mkdirSync(folder, { recursive: true });
    const base = `${show} - S${s}E${e} - ${title}`;
    const file = path.join(folder, `${base}.mkv`);
    fs.writeFileSync(file, 'fake video');
    fs.writeFileSync(
      path.join(folder, `${base}.nfo`),
      `<episodedetails><title>${xml(title)}</title><season>${season}</season><episode>${episode}</episode></episodedetails>\n`,
    );
    return { folder, file };
  }

  /** A real, playable two-minute clip (made once). */
  clip() {
    if (!this.clipFile) {
      this.clipFile = path.join(this.root, 'clip.mp4');
      execFileSync('ffmpeg', [
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'color=c=black:s=320x240:d=120:r=10',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        this.clipFile,
      ]);
    }
    return this.clipFile;
  }

  async stop() {
    this.stopping = true;
    for (const child of this.children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.keepFiles)
      console.log(`    (the real Kodi died or hung during this run: its files stay in ${this.root})`);
    else if (!process.env.KEEP_KODI_FILES) fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** Ends the processes at once (for process exit, when stop() cannot run). */
  killNow() {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

module.exports = { RealKodi, freePort, KODI_NEEDS };
