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

  window.PlayerSyncEditor = {
    texts: texts,
    testConnection: testConnection,
    markList: markList,
    seconds: seconds,
    port: port,
    errorColour: ERROR_COLOUR,
  };
})();
