import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { KyselyAppStore } from './app-store.js';

const key = (id: string, appId: string) => ({
  id,
  appId,
  name: `key ${id}`,
  hint: id.slice(-4),
  createdAt: 1_700_000_000_000,
  secretHash: 'ab'.repeat(32),
});

describeEachDatabase('KyselyAppStore', (db) => {
  it('creates an app with its first key and reads both back', async () => {
    const store = new KyselyAppStore(db().db);
    await store.createApp({ id: 'a1', name: 'shop', createdAt: 1_700_000_000_000 }, key('k1', 'a1'));
    expect(await store.getApp('a1')).toEqual({ id: 'a1', name: 'shop', createdAt: 1_700_000_000_000 });
    expect(await store.findKey('k1')).toEqual(key('k1', 'a1'));
    expect(await store.getApp('nope')).toBeUndefined();
  });

  it('pages apps in id order', async () => {
    const store = new KyselyAppStore(db().db);
    for (const id of ['a3', 'a1', 'a2'])
      await store.createApp({ id, name: id, createdAt: 1 }, key(`k${id}`, id));
    expect((await store.listApps({ limit: 2 })).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect((await store.listApps({ limit: 2, afterId: 'a2' })).map((a) => a.id)).toEqual(['a3']);
  });

  it('deleting an app deletes its keys', async () => {
    const store = new KyselyAppStore(db().db);
    await store.createApp({ id: 'a1', name: 'x', createdAt: 1 }, key('k1', 'a1'));
    await store.createKey(key('k2', 'a1'));
    expect(await store.deleteApp('a1')).toBe(true);
    expect(await store.findKey('k1')).toBeUndefined();
    expect(await store.findKey('k2')).toBeUndefined();
    expect(await store.deleteApp('a1')).toBe(false);
  });

  it('lists and deletes keys only within their app', async () => {
    const store = new KyselyAppStore(db().db);
    await store.createApp({ id: 'a1', name: 'x', createdAt: 1 }, key('k1', 'a1'));
    await store.createApp({ id: 'a2', name: 'y', createdAt: 1 }, key('k2', 'a2'));
    expect((await store.listKeys('a1', { limit: 10 })).map((k) => k.id)).toEqual(['k1']);
    expect(await store.deleteKey('a1', 'k2')).toBe(false);
    expect(await store.deleteKey('a2', 'k2')).toBe(true);
  });
});
