'use strict';
// Watched-sync's user propagation without Node-RED (Jellyfin to Jellyfin): created with a random password that is
// in the result only, read back; deleted only when deletions are allowed; already there or gone: nothing written.
require('should');
const { propagateUser, userChangeOf, newPassword } = require('../../nodes/sync/watched-users');

function fakeServer(names = []) {
  const users = names.map((name, i) => ({ id: `u${i}`, name }));
  const calls = [];
  return {
    users,
    calls,
    access: {
      list: async () => users.map((u) => ({ ...u })),
      create: async (name, password) => {
        calls.push(['create', name, password]);
        users.push({ id: `u${users.length}`, name });
        return {
          id: `u${users.length - 1}`,
          sent: { method: 'POST /Users/New', params: { Name: name, Password: '(set)' } },
        };
      },
      remove: async (id) => {
        calls.push(['remove', id]);
        users.splice(
          users.findIndex((u) => u.id === id),
          1,
        );
        return { method: `DELETE /Users/${id}`, params: {} };
      },
    },
  };
}
const target = { key: 'jf2', name: 'Second', playerType: 'jellyfin' };

describe('watched-sync user propagation (no Node-RED)', function () {
  it('created: made with a new password, in the result only; there already: nothing', async function () {
    const server = fakeServer(['anna']);
    const r = await propagateUser(
      target,
      server.access,
      { action: 'created', name: 'Ben' },
      { deletions: false },
    );
    r.should.match({ status: 'created', password: /^[A-Za-z0-9_-]{24}$/ });
    server.calls[0][2].should.equal(r.password);
    JSON.stringify(r.sent).should.not.containEql(r.password, 'what was sent never holds the password');
    (
      await propagateUser(target, server.access, { action: 'created', name: 'ANNA' }, { deletions: false })
    ).status.should.equal('already');
    newPassword().should.not.equal(newPassword());
  });

  it('deleted: only when allowed; gone already: nothing', async function () {
    const server = fakeServer(['anna', 'ben']);
    (
      await propagateUser(target, server.access, { action: 'deleted', name: 'ben' }, { deletions: false })
    ).status.should.equal('skipped');
    server.users.length.should.equal(2);
    (
      await propagateUser(target, server.access, { action: 'deleted', name: 'ben' }, { deletions: true })
    ).status.should.equal('deleted');
    server.users.map((u) => u.name).should.eql(['anna']);
    (
      await propagateUser(target, server.access, { action: 'deleted', name: 'ben' }, { deletions: true })
    ).status.should.equal('already');
    (
      await propagateUser(target, undefined, { action: 'created', name: 'x' }, { deletions: true })
    ).status.should.equal('unsupported');
  });

  it('messages checked: the action and the name', function () {
    userChangeOf({ action: 'created', name: ' Ben ' }, 'jf1').should.eql({
      action: 'created',
      name: 'Ben',
      from: 'jf1',
    });
    (() => userChangeOf({ action: 'renamed', name: 'x' })).should.throw(/action/);
    (() => userChangeOf({ action: 'created', name: 'a\nb' })).should.throw(/name/);
    (() => userChangeOf(null)).should.throw(/not an object/);
  });
});
