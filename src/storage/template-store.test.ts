import { beforeEach, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import type { Template } from '../domain/template.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyTemplateStore } from './template-store.js';

const template = (id: string, name: string, version = 1, text = 'Hi {{Address}}'): Template => ({
  appId: 'a1',
  id,
  version,
  name,
  definition: { kind: 'message', text, defaults: {} },
  createdAt: 1_700_000_000_000 + version,
  updatedAt: 1_700_000_000_000 + version,
});

describeEachDatabase('KyselyTemplateStore', (db) => {
  let store: KyselyTemplateStore;
  beforeEach(async () => {
    await new KyselyAppStore(db().db).createApp(
      { id: 'a1', name: 'a', createdAt: 1 },
      {
        id: 'k1',
        appId: 'a1',
        name: 'k',
        hint: 'k1',
        createdAt: 1,
        secretHash: 'ab'.repeat(32),
      },
    );
    store = new KyselyTemplateStore(db().db);
  });

  it('writes versions, reads the latest or a given one, and lists latest versions in id order', async () => {
    await store.create(template('t2', 'second'));
    await store.create(template('t1', 'first'));
    await store.addVersion(template('t1', 'first', 2, 'Hello {{Address}}'));
    expect((await store.get('a1', 't1'))?.version).toBe(2);
    expect((await store.get('a1', 't1', 1))?.definition).toEqual({
      kind: 'message',
      text: 'Hi {{Address}}',
      defaults: {},
    });
    expect((await store.findByName('a1', 'first'))?.version).toBe(2);
    expect((await store.list('a1', { limit: 10 })).map((t) => [t.id, t.version])).toEqual([
      ['t1', 2],
      ['t2', 1],
    ]);
    expect((await store.list('a1', { limit: 10, afterId: 't1' })).map((t) => t.id)).toEqual(['t2']);
    expect((await store.listVersions('a1', 't1')).map((t) => t.version)).toEqual([2, 1]);
  });

  it('refuses a taken name and a stale version', async () => {
    await store.create(template('t1', 'first'));
    await store.create(template('t2', 'second'));
    await expect(store.create(template('t3', 'first'))).rejects.toMatchObject({ code: 'HERALD_CONFLICT' });
    await expect(store.addVersion(template('t2', 'first', 2))).rejects.toMatchObject({
      code: 'HERALD_CONFLICT',
    });
    await expect(store.addVersion(template('t1', 'first', 3))).rejects.toMatchObject({
      code: 'HERALD_VERSION_MISMATCH',
    });
  });

  it('deletes every version', async () => {
    await store.create(template('t1', 'first'));
    await store.addVersion(template('t1', 'first', 2));
    expect(await store.delete('a1', 't1')).toBe(true);
    expect(await store.get('a1', 't1')).toBeUndefined();
    expect(await store.delete('a1', 't1')).toBe(false);
  });
});
