import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { ApiError, apiTarget, createApiClient } from '../../src/cli/api-client.js';
import { importEndpoints } from '../../src/cli/commands/import-command.js';
import type { Herald } from '../../src/main.js';
import { createHttpPools } from '../../src/runtime/undici-http-pools.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald, TEST_ADMIN_TOKEN } from '../helpers/test-herald.js';

/** The CLI talks to a Herald listening on a real socket, as it does in use. */
describeEachDatabase('herald import endpoints', (db) => {
  let herald: Herald;
  let url: string;
  let dir: string;
  const pools = createHttpPools({ connections: 2 });
  afterAll(() => pools.close());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
    herald = await createTestHerald(db());
    url = await herald.listen();
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

  it('uploads a CSV, follows the import and prints a summary with the rejected rows', async () => {
    const app = await createTestApp(herald);
    const file = path.join(dir, 'people.csv');
    fs.writeFileSync(
      file,
      [
        'Id,ChannelType,Address,User.UserId',
        'c1,SMS,+16505550001,u1',
        'c2,SMS,oops,u2',
        'c3,WHATSAPP,16505550003,u3',
      ].join('\n'),
    );
    const out = output();
    const code = await importEndpoints(
      { file, appId: app.appId, defineSegment: 'from the CLI' },
      {
        api: createApiClient({ baseUrl: url, credential: app.apiKey, pools }),
        out: out.stream,
        progress: new PassThrough(),
        pollMs: 10,
      },
    );
    expect(code).toBe(0);
    expect(out.text()).toContain('Imported 2 endpoint rows; 1 row rejected.');
    expect(out.text()).toContain('line 3, Address: ');
    expect(out.text()).toMatch(/Segment: \w+/);
    const stored = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps/${app.appId}/endpoints/c3`,
      headers: app.headers,
    });
    expect(stored.json().address).toBe('+16505550003');
  });

  it("prints Herald's error code and field when the API refuses", async () => {
    const app = await createTestApp(herald);
    const other = await createTestApp(herald, 'other');
    const file = path.join(dir, 'people.ndjson');
    fs.writeFileSync(file, '{"Id":"n1","ChannelType":"SMS","Address":"+16505550001"}\n');
    const call = importEndpoints(
      { file, appId: app.appId },
      {
        api: createApiClient({ baseUrl: url, credential: other.apiKey, pools }),
        out: new PassThrough(),
        progress: new PassThrough(),
      },
    );
    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({ code: 'HERALD_FORBIDDEN', status: 403 });

    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'Colour\nred\n');
    const refused = await importEndpoints(
      { file: bad, appId: app.appId },
      {
        api: createApiClient({ baseUrl: url, credential: TEST_ADMIN_TOKEN, pools }),
        out: new PassThrough(),
        progress: new PassThrough(),
      },
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).describe()).toMatch(
      /^HERALD_VALIDATION_FAILED \(header\): header: unknown column "Colour"/,
    );

    const unreachable = createApiClient({ baseUrl: 'http://127.0.0.1:9', credential: 'x', pools });
    await expect(unreachable.request('GET', '/v1/apps')).rejects.toThrow(
      /cannot reach Herald at http:\/\/127.0.0.1:9/,
    );
  });

  it('takes the URL and key from flags, then the configuration, then the admin token', () => {
    const config = herald.config;
    expect(apiTarget(config, {})).toEqual({ baseUrl: config.publicUrl, credential: config.adminToken });
    expect(apiTarget({ ...config, apiKey: 'hk_env' }, {})).toMatchObject({ credential: 'hk_env' });
    expect(apiTarget({ ...config, apiKey: 'hk_env' }, { apiKey: 'hk_flag', url: 'http://h:1' })).toEqual({
      baseUrl: 'http://h:1',
      credential: 'hk_flag',
    });
  });
});
