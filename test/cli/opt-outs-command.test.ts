import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../../src/cli/api-client.js';
import {
  addOptOuts,
  checkOptOuts,
  listOptOuts,
  removeOptOuts,
} from '../../src/cli/commands/opt-outs-command.js';
import type { Herald } from '../../src/main.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { testNumber } from '../helpers/live-herald.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

/** The CLI talks to a Herald listening on a real socket, as it does in use. */
describeEachDatabase('herald opt-outs', (db) => {
  let herald: Herald;
  let url: string;
  let dir: string;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  const pools = createHttpPools({ connections: 2 });
  afterAll(() => pools.close());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
    herald = await createTestHerald(db());
    url = await herald.listen();
    app = await createTestApp(herald);
  });
  afterEach(async () => {
    await herald.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const output = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    return { stream, text: () => text };
  };
  const io = (out: PassThrough, credential = app.apiKey) => ({
    api: createApiClient({ baseUrl: url, credential, pools }),
    out,
    progress: new PassThrough(),
  });
  const inject = async (method: 'GET' | 'PUT', url: string, payload?: object) =>
    (
      await herald.server.inject({
        method,
        url: `/v1/apps/${app.appId}${url}`,
        headers: app.headers,
        ...(payload ? { payload } : {}),
      })
    ).json();

  it('adds, checks and removes addresses given on the command line', async () => {
    await inject('PUT', '/endpoints/ana', { channelType: 'SMS', address: '+16505551234' });
    const base = { appId: app.appId, channelType: 'SMS' as const };

    const added = output();
    expect(
      await addOptOuts({ ...base, addresses: ['+1 650 555 1234', '+16505551235'] }, io(added.stream)),
    ).toBe(0);
    expect(added.text()).toBe(
      'Opted out 2 addresses on SMS: 2 added to the list, 0 already on it; 1 endpoint opted out.\n',
    );
    expect((await inject('GET', '/endpoints/ana')).optOut).toBe('ALL');

    const checked = output();
    expect(
      await checkOptOuts({ ...base, addresses: ['16505551235', '+16505551299'] }, io(checked.stream)),
    ).toBe(0);
    expect(checked.text()).toMatch(
      /^\+16505551235 {2}opted out since \d{4}-\d\d-\d\dT[\d:.]+Z\n\+16505551299 {2}not opted out\n$/,
    );

    const removed = output();
    expect(
      await removeOptOuts({ ...base, addresses: ['+16505551234', '+16505551299'] }, io(removed.stream)),
    ).toBe(0);
    expect(removed.text()).toBe(
      'Took 2 addresses off the SMS opt-out list: 1 were on it, 1 were not; 1 endpoint opted back in.\n',
    );
    expect((await inject('GET', '/endpoints/ana')).optOut).toBe('NONE');

    const listed = output();
    expect(await listOptOuts(app.appId, io(listed.stream))).toBe(0);
    expect(listed.text()).toMatch(/^SMS {2}1 address, the latest on \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    const empty = output();
    const other = await createTestApp(herald);
    expect(await listOptOuts(other.appId, io(empty.stream, other.apiKey))).toBe(0);
    expect(empty.text()).toBe('The opt-out list is empty.\n');
  });

  it('loads a suppression list from a file 1,000 addresses at a time, reporting the lines Herald refused', async () => {
    await inject('PUT', '/endpoints/last', { channelType: 'SMS', address: testNumber(2_399) });
    const numbers = Array.from({ length: 2_400 }, (_, i) => testNumber(i));
    // A byte-order mark, a blank line, Windows line ends, and two lines that are not numbers (in two batches).
    const lines = [
      ...numbers.slice(0, 10),
      '',
      'call me maybe',
      ...numbers.slice(10, 1_500),
      '+1650555',
      ...numbers.slice(1_500),
    ];
    const file = path.join(dir, 'opted-out.txt');
    fs.writeFileSync(file, `\uFEFF${lines.join('\r\n')}\r\n`);

    const out = output();
    const code = await addOptOuts(
      { appId: app.appId, channelType: 'SMS', addresses: [], file },
      io(out.stream),
    );
    expect(code).toBe(1);
    expect(out.text()).toContain(
      'Opted out 2400 addresses on SMS: 2400 added to the list, 0 already on it; 1 endpoint opted out.\n',
    );
    expect(out.text()).toContain('Herald refused 2 addresses:\n  line 12: ');
    expect(out.text()).toContain('\n  line 1503: ');
    expect(out.text()).not.toContain('call me maybe');
    expect(await inject('GET', '/opt-outs')).toEqual({
      items: [{ channelType: 'SMS', count: 2_400, lastOptedOutAt: expect.any(String) }],
    });
    expect((await inject('GET', '/endpoints/last')).optOut).toBe('ALL');

    // The same file again: every address is on the list already.
    const again = output();
    await addOptOuts({ appId: app.appId, channelType: 'SMS', addresses: [], file }, io(again.stream));
    expect(again.text()).toContain('0 added to the list, 2400 already on it; 0 endpoints opted out.');
  });

  it("stops with Herald's error when the API refuses the request itself", async () => {
    const other = await createTestApp(herald, 'other');
    const call = addOptOuts(
      { appId: app.appId, channelType: 'SMS', addresses: ['+16505551234'] },
      io(new PassThrough(), other.apiKey),
    );
    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({ status: 403, code: 'HERALD_FORBIDDEN' });
    expect(await inject('GET', '/opt-outs')).toEqual({ items: [] });
  });
});
