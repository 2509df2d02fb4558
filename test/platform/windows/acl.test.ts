/**
 * The token file's access list on Windows, as SDDL (src/platform/windows/acl.ts): what the
 * daemon writes, and which access lists count as readable by someone else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { othersWithAccess, ownerOnlySddl, parseSddl } from '../../../src/platform/windows/acl.ts';

const USER = 'S-1-5-21-1004336348-1177238915-682003330-1001';

test('the DACL the daemon writes: protected, one full-access entry for the owner, by SID', () => {
  assert.deepEqual(parseSddl(`O:${USER}${ownerOnlySddl(USER)}`), {
    owner: USER,
    protectedDacl: true,
    aces: [{ type: 'A', rights: 'FA', trustee: USER }],
  });
  assert.deepEqual(othersWithAccess(`O:${USER}${ownerOnlySddl(USER)}`), []);
  // what reaches the SDDL is a SID or an alias, nothing that could add entries
  assert.throws(() => ownerOnlySddl(`${USER})(A;;FA;;;WD`), /not a SID/);
});

test('what %APPDATA% gives by inheritance (owner, SYSTEM, Administrators) is private', () => {
  const sddl = `O:${USER}D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;${USER})`;
  assert.equal(parseSddl(sddl).protectedDacl, false);
  assert.deepEqual(othersWithAccess(sddl), []);
});

test('Users, Everyone or another account with an allow entry: named; deny entries and no DACL', () => {
  const other = 'S-1-5-21-1004336348-1177238915-682003330-1002';
  assert.deepEqual(
    othersWithAccess(
      `O:${USER}D:(A;;FA;;;${USER})(A;;FR;;;BU)(A;;0x1200a9;;;WD)(A;;FR;;;${other})(D;;FA;;;AN)`,
    ),
    ['BU', 'WD', other],
  );
  // a security descriptor without a DACL grants everyone everything
  assert.deepEqual(othersWithAccess(`O:${USER}`), ['Everyone (the file has no DACL)']);
  // an empty DACL grants nobody anything
  assert.deepEqual(othersWithAccess(`O:${USER}D:P`), []);
});
