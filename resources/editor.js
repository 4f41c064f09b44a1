/* The editor-side helpers shared by the package's edit dialogs, served by Node-RED at
 * resources/@player-sync/node-red-player-sync/editor.js. Loaded once per dialog file that includes it; defining
 * it again is harmless. Texts come from each node's own catalog (nodes/locales/<lang>/<type>.json). */
/* global RED, $, window */
(function () {
  'use strict';
  var ERROR_COLOUR = 'var(--red-ui-text-color-error, #d00)';

  /**
   * Wires the "Test connection" button of a config dialog: posts the settings and credentials as they stand in
   * the dialog to the package's admin endpoint and shows name, version and what works. An unchanged password is
   * sent as Node-RED's placeholder; the endpoint takes the stored one. Nothing secret comes back.
   */
  function testConnection(node, type, settingFields, credentialFields) {
    var t = function (key) {
      return node._(type + '.test.' + key);
    };
    var read = function (fields) {
      var values = {};
      fields.forEach(function (field) {
        var input = $('#node-config-input-' + field);
        values[field] = input.attr('type') === 'checkbox' ? input.prop('checked') : input.val();
      });
      return values;
    };
    $('#ps-test-connection').on('click', function () {
      var out = $('#ps-test-connection-result').text(t('testing')).css('color', '');
      $.ajax({
        url: 'player-sync/test-connection/' + type,
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({
          id: node.id,
          settings: read(settingFields),
          credentials: read(credentialFields),
        }),
      })
        .done(function (r) {
          var state = function (what, ok) {
            return what + ' ' + t(ok ? 'ok' : 'failed');
          };
          var parts = [state('HTTP', r.http.ok), state(t('auth'), r.auth.ok)];
          if (r.websocket) parts.push(state('WebSocket', r.websocket.ok));
          var errors = [r.http.error, r.auth.ok ? '' : r.auth.error, r.websocket && r.websocket.error].filter(
            Boolean,
          );
          var head = r.name || r.version ? (r.name || '') + ' ' + (r.version || '') + ': ' : '';
          // The verdict first, in a few words: what to fix.
          if (!r.ok && r.verdict && r.verdict !== 'ok') head = t('verdict.' + r.verdict) + '. ' + head;
          out
            .text(
              (r.ok ? '✓ ' : '✗ ') +
                head +
                parts.join(', ') +
                (errors.length ? '. ' + errors.join('. ') : ''),
            )
            .css('color', r.ok ? '' : ERROR_COLOUR);
        })
        .fail(function (xhr) {
          var forbidden = xhr && (xhr.status === 401 || xhr.status === 403);
          out.text(t(forbidden ? 'forbidden' : 'unreachable')).css('color', ERROR_COLOUR);
        });
    });
  }

  /** Marks an editable list red while `valid()` is false, as Node-RED marks a field that fails validation. */
  function markList(container, valid) {
    var update = function () {
      container.closest('.red-ui-editableList').toggleClass('input-error', !valid());
      container.toggleClass('input-error', !valid());
    };
    container.on('change input', update);
    update();
    return update;
  }

  /** ${NAME}: Node-RED puts the environment variable's value in when the flow starts. */
  var ENV_VAR = /^\$\{[^}]+\}$/;

  /** A number of seconds above 0, as the runtime accepts (Node-RED's own number check lets "-" pass). */
  function seconds(blankAllowed) {
    return function (v) {
      if (blankAllowed && (v === '' || v === undefined || v === null)) return true;
      if (ENV_VAR.test(String(v))) return true;
      return /^\s*\d*\.?\d+\s*$/.test(String(v)) && Number(v) > 0;
    };
  }

  /** A TCP port, 1 to 65535. */
  function port() {
    return function (v) {
      if (ENV_VAR.test(String(v))) return true;
      return /^\s*\d+\s*$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 65535;
    };
  }

  /** A node type's texts (nodes/locales/<lang>/<type>.json), for code outside the node's own functions. */
  function texts(type) {
    return function (key, args) {
      return RED._('@player-sync/node-red-player-sync/' + type + ':' + type + '.' + key, args);
    };
  }

  /**
   * A "Find on the network" button (#ps-discover) for a config dialog: asks the package's admin endpoint for the
   * servers of `kind` on the LAN (it answers within about 3 s) and lists them in #ps-discover-result, each a button
   * that fills the dialog through `fill(found)`. Found names are shown as text, never as HTML.
   */
  function discover(node, type, kind, fill) {
    var t = function (key, args) {
      return node._(type + '.discover.' + key, args);
    };
    $('#ps-discover').on('click', function () {
      var out = $('#ps-discover-result').empty().text(t('searching')).css('color', '');
      $.ajax({ url: 'player-sync/discover/' + kind, method: 'GET', dataType: 'json' })
        .done(function (r) {
          out.empty();
          if (!r.found || r.found.length === 0) {
            out.text(t('none') + (r.note ? ' ' + r.note : ''));
            return;
          }
          r.found.forEach(function (f) {
            $(
              '<button type="button" class="red-ui-button ps-discovered" style="margin: 0 4px 4px 0"></button>',
            )
              .text(f.name + ' (' + f.url + ')')
              .on('click', function () {
                fill(f);
                out.empty().text(t('picked', { name: f.name }));
              })
              .appendTo(out);
          });
        })
        .fail(function (xhr) {
          var forbidden = xhr && (xhr.status === 401 || xhr.status === 403);
          out.text(t(forbidden ? 'forbidden' : 'failed')).css('color', ERROR_COLOUR);
        });
    });
  }

  /**
   * "Sign in with Plex" and "Check token" in the plex-server dialog. The token stays in the runtime: a sign-in is
   * a session there, this page only ever sees its id, the PIN's link, the account's name and its servers'
   * addresses. Picking a server puts its token into this node's credentials (kept at the next deploy) and marks
   * the token field as set.
   */
  function plexSignIn(node) {
    var t = function (key, args) {
      return node._('plex-server.signIn.' + key, args);
    };
    var out = $('#ps-plex-signin-result');
    var timer;
    var stop = function () {
      clearTimeout(timer);
      timer = undefined;
    };
    var showServers = function (session, r) {
      out.empty().append($('<div></div>').text(t('signedIn', { account: r.account || '' })));
      if (!r.servers || r.servers.length === 0) {
        out.append($('<div></div>').text(t('noServers')));
        return;
      }
      var select = $('<select id="ps-plex-server-pick" style="width: 70%"></select>');
      r.servers.forEach(function (server) {
        server.connections.forEach(function (c) {
          var where = c.relay ? t('relay') : c.local ? t('local') : t('remote');
          $('<option></option>')
            .val(JSON.stringify({ server: server.id, uri: c.uri }))
            .text(server.name + ' — ' + c.uri + ' (' + where + ')')
            .appendTo(select);
        });
      });
      var use = $('<button type="button" class="red-ui-button" id="ps-plex-server-use"></button>').text(
        t('use'),
      );
      use.on('click', function () {
        var pick = JSON.parse(select.val());
        $.ajax({
          url: 'player-sync/plex/sign-in/' + session + '/use',
          method: 'POST',
          contentType: 'application/json',
          data: JSON.stringify({ node: node.id, server: pick.server, uri: pick.uri }),
        })
          .done(function (u) {
            $('#node-config-input-url').val(u.url).trigger('change');
            if (!$('#node-config-input-name').val()) $('#node-config-input-name').val(u.name);
            // The token is in the runtime now: the field shows it as set, and is sent back unchanged.
            $('#node-config-input-token').val('__PWRD__').trigger('change');
            out.empty().text(t('using', { name: u.name, account: u.account || '' }));
          })
          .fail(function (xhr) {
            out.text((xhr.responseJSON && xhr.responseJSON.error) || t('failed')).css('color', ERROR_COLOUR);
          });
      });
      out.append(select, ' ', use);
    };
    var poll = function (session) {
      $.ajax({ url: 'player-sync/plex/sign-in/' + session, method: 'GET', dataType: 'json' })
        .done(function (r) {
          if (r.state === 'signed-in') {
            stop();
            showServers(session, r);
          } else if (r.state === 'expired') {
            stop();
            out.text(t('expired')).css('color', ERROR_COLOUR);
          } else {
            timer = setTimeout(function () {
              poll(session);
            }, 2000);
          }
        })
        .fail(function (xhr) {
          stop();
          out.text((xhr.responseJSON && xhr.responseJSON.error) || t('failed')).css('color', ERROR_COLOUR);
        });
    };
    $('#ps-plex-signin').on('click', function () {
      stop();
      out.empty().text(t('starting')).css('color', '');
      $.ajax({
        url: 'player-sync/plex/sign-in',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ clientId: $('#node-config-input-clientId').val() }),
      })
        .done(function (r) {
          var link = $('<a target="_blank" rel="noopener noreferrer" id="ps-plex-signin-link"></a>')
            .attr('href', r.link)
            .text(t('open'));
          out.empty().append(link, ' ', $('<span></span>').text(t('waiting', { code: r.code })));
          timer = setTimeout(function () {
            poll(r.session);
          }, 2000);
        })
        .fail(function (xhr) {
          var forbidden = xhr && (xhr.status === 401 || xhr.status === 403);
          out
            .text(forbidden ? t('forbidden') : (xhr.responseJSON && xhr.responseJSON.error) || t('failed'))
            .css('color', ERROR_COLOUR);
        });
    });
    $('#ps-plex-check').on('click', function () {
      var result = $('#ps-plex-check-result').text(t('checking')).css('color', '');
      $.ajax({
        url: 'player-sync/plex/check-token',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({
          id: node.id,
          token: $('#node-config-input-token').val(),
          clientId: $('#node-config-input-clientId').val(),
        }),
      })
        .done(function (r) {
          result
            .text(r.ok ? '✓ ' + t('account', { account: r.account }) : '✗ ' + r.error)
            .css('color', r.ok ? '' : ERROR_COLOUR);
        })
        .fail(function (xhr) {
          var forbidden = xhr && (xhr.status === 401 || xhr.status === 403);
          result.text(t(forbidden ? 'forbidden' : 'failed')).css('color', ERROR_COLOUR);
        });
    });
    return stop;
  }

  window.PlayerSyncEditor = {
    discover: discover,
    plexSignIn: plexSignIn,
    texts: texts,
    testConnection: testConnection,
    markList: markList,
    seconds: seconds,
    port: port,
    errorColour: ERROR_COLOUR,
  };
})();
