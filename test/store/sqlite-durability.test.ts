import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { logCheck } from '../../src/log/entries.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { onlyOn } from '../helpers/engine.js';
import { tempDir, testLogKey } from '../helpers/registry.js';

// PostgreSQL's durability is the server's WAL with synchronous_commit=on; test/log/crash.test.ts covers both engines.
describe('SQLite durability', { skip: onlyOn('sqlite', 'SQLite file only: the fsync of its WAL file') }, () => {
  const dir = tempDir();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resolves a write only after the WAL file itself has been fsynced', async () => {
    const file = path.join(dir, 'durable.db');
    const store = openSqliteStore(file, { origin: 'tyiym.kz/log', key: testLogKey() });
    const events: string[] = [];
    const syncedInodes: number[] = [];
    const realFsync = fs.fsync;
    // Delay each fsync so that an acknowledgement that did not wait for it would be seen first.
    fs.fsync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      syncedInodes.push(fs.fstatSync(fd).ino);
      setTimeout(
        () =>
          realFsync(fd, (e) => {
            events.push('fsync done');
            cb(e);
          }),
        20,
      );
    }) as typeof fs.fsync;
    try {
      const record = {
        id: '01a2fff0-0000-7000-8000-000000000001',
        lenderId: 'l',
        citizenKey: Buffer.alloc(32, 1),
        channel: 'remote' as const,
        reference: 'r',
        restricted: false,
        checkedAt: new Date(),
        restrictionId: null,
        restrictionVersion: null,
      };
      await store.checks.insertBatch([logCheck(record, 'bank')]);
      events.push('acknowledged');
    } finally {
      fs.fsync = realFsync;
    }
    assert.deepEqual(events, ['fsync done', 'acknowledged']);
    assert.deepEqual(syncedInodes, [fs.statSync(`${file}-wal`).ino]);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(fs.statSync(file).mode & 0o077, 0, 'the database is readable by its owner only');
    await store.close();
  });
});
