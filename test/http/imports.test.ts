import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Herald } from '../../src/main.js';
import { KyselyImportStore } from '../../src/storage/import-store.js';
import { describeEachDatabase } from '../helpers/test-database.js';
import { createTestApp, createTestHerald } from '../helpers/test-herald.js';

const FIXTURE_CSV = fs.readFileSync('/work/shared/fixtures/pinpoint/segment-import-custom.csv', 'utf8');
const FIXTURE_ENDPOINT = JSON.parse(
  fs.readFileSync('/work/shared/fixtures/pinpoint/update-endpoint-request.json', 'utf8'),
) as Record<string, unknown>;

interface ImportStatus {
  id: string;
  status: string;
  processed: number;
  failed: number;
  errors: { row: number; field?: string; reason: string }[];
  segmentId?: string;
  failureReason?: string;
  sizeBytes: number;
  bytesRead: number;
}

describeEachDatabase('imports over HTTP', (db) => {
  let herald: Herald;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  let dataDir: string;
  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-import-'));
    herald = await createTestHerald(db(), {
      env: { HERALD_DATA_DIR: dataDir, HERALD_IMPORT_LIMIT: '100000' },
    });
    app = await createTestApp(herald);
  });
  afterEach(async () => {
    await herald.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = (body: string, contentType = 'text/csv', query = '') =>
    herald.server.inject({
      method: 'POST',
      url: `/v1/apps/${app.appId}/imports${query}`,
      headers: { ...app.headers, 'content-type': contentType },
      payload: body,
    });
  const get = (url: string) =>
    herald.server.inject({ method: 'GET', url: `/v1/apps/${app.appId}${url}`, headers: app.headers });

  /** The spool is emptied just after the job is marked finished. */
  async function spoolEmptied(): Promise<string[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const names = fs.readdirSync(path.join(dataDir, 'imports'));
      if (names.length === 0 || Date.now() > deadline) return names;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Polls until the import settles: the work happens after the 202, on real I/O. */
  async function settled(id: string): Promise<ImportStatus> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = (await get(`/imports/${id}`)).json() as ImportStatus;
      if (status.status === 'COMPLETED' || status.status === 'FAILED') return status;
      if (Date.now() > deadline) throw new Error(`import ${id} still ${status.status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('imports the Pinpoint sample CSV', async () => {
    const response = await upload(FIXTURE_CSV);
    expect(response.statusCode, response.body).toBe(202);
    const status = await settled(response.json().id);
    expect(status).toMatchObject({ status: 'COMPLETED', processed: 1, failed: 0, errors: [] });
    expect(status.bytesRead).toBe(status.sizeBytes);
    expect((await get('/endpoints/111')).json()).toMatchObject({
      channelType: 'CUSTOM',
      address: '15550100',
      user: { userId: 'user1' },
    });
    expect(await spoolEmptied()).toEqual([]);
  });

  it('skips and reports bad rows by line and column; the good rows land', async () => {
    const csv = [
      'ChannelType,Address,Id,Location.Country,Attributes.Interests,Attributes.Interests,Metrics.sessions,User.UserId',
      'WHATSAPP,+1 650 555 0001,,US,Music,Travel,3,u1',
      'SMS,not-a-number,e-bad,US,,,,',
      'LINE,Uabc,e-line,TH,,,,',
      'SMS,+16505550004,e4,US,,,many,',
      'SMS,+16505550005,e5',
      'PIGEON,x,e6,,,,,',
      'CUSTOM,,e7,,,,,',
      'SMS,+16505550009,e9,CA,Sports,,1,u2',
      ',,e4,,,,,',
      ',,e9,,Food,,,',
      '',
      `SMS,+16505550012,e12,US,${'x'.repeat(101)},,,`,
      'SMS,+16505550014,"e14,,,,,',
      'SMS,+16505550015,e15,,,,,',
    ].join('\r\n');
    const response = await upload(csv);
    const status = await settled(response.json().id);
    expect(status).toMatchObject({ status: 'COMPLETED', processed: 3, failed: 9 });
    expect(status.errors).toEqual([
      { row: 3, field: 'Address', reason: expect.stringContaining('not a valid phone number') },
      { row: 4, field: 'Address', reason: expect.stringContaining('LINE') },
      { row: 5, field: 'Metrics.sessions', reason: 'must be a number' },
      { row: 6, field: 'row', reason: 'has 3 cells, the header has 8' },
      { row: 7, field: 'ChannelType', reason: expect.stringContaining('must be one of') },
      { row: 8, field: 'Address', reason: 'required for a new endpoint' },
      { row: 10, field: 'ChannelType', reason: 'required for a new endpoint' },
      { row: 13, field: 'Attributes.Interests', reason: expect.stringContaining('at most 100 characters') },
      { row: 14, field: 'row', reason: expect.stringContaining('a value spans 2 lines (lines 14-15)') },
    ]);
    const generated = `${response.json().id}-2`;
    expect((await get(`/endpoints/${generated}`)).json()).toMatchObject({
      address: '+16505550001',
      attributes: { Interests: ['Music', 'Travel'] },
      metrics: { sessions: 3 },
      location: { country: 'US' },
    });
    expect((await get('/endpoints/e9')).json()).toMatchObject({
      attributes: { Interests: ['Food'] },
      location: { country: 'CA' },
    });
    expect((await get('/endpoints/e4')).statusCode).toBe(404);
  });

  it('refuses by row a time zone or locale Herald cannot use, in CSV and NDJSON; the other rows land', async () => {
    const csv = [
      'Id,ChannelType,Address,Demographic.Timezone,Demographic.Locale',
      'd1,CUSTOM,a1,America/New_York,en_US',
      'd2,CUSTOM,a2,Eastern Time,en_US',
      'd3,CUSTOM,a3,UTC+05:30,English',
      // A partial row (no address) is checked when written, against the stored endpoint.
      'd1,,,Nowhere/Town,',
      'd4,CUSTOM,a4,,pt-BR',
    ].join('\n');
    const fromCsv = await settled((await upload(csv)).json().id);
    expect(fromCsv).toMatchObject({ status: 'COMPLETED', processed: 2, failed: 3 });
    expect(fromCsv.errors).toEqual([
      { row: 3, field: 'Demographic.Timezone', reason: expect.stringContaining('IANA') },
      { row: 4, field: 'Demographic.Locale', reason: expect.stringContaining('en_US') },
      { row: 5, field: 'Demographic.Timezone', reason: expect.stringContaining('IANA') },
    ]);
    expect((await get('/endpoints/d1')).json().demographic).toEqual({
      timezone: 'America/New_York',
      locale: 'en_US',
    });
    expect((await get('/endpoints/d4')).json().demographic).toEqual({ locale: 'pt-BR' });
    expect((await get('/endpoints/d2')).statusCode).toBe(404);

    const ndjson = [
      JSON.stringify({
        Id: 'j1',
        ChannelType: 'CUSTOM',
        Address: 'b1',
        Demographic: { Timezone: 'PST8PDT' },
      }),
      JSON.stringify({ Id: 'j2', ChannelType: 'CUSTOM', Address: 'b2', Demographic: { Timezone: 'GMT+25' } }),
      JSON.stringify({ Id: 'j3', ChannelType: 'CUSTOM', Address: 'b3', Demographic: { Locale: 'xx-' } }),
    ].join('\n');
    const fromJson = await settled((await upload(ndjson, 'application/x-ndjson')).json().id);
    expect(fromJson).toMatchObject({ status: 'COMPLETED', processed: 1, failed: 2 });
    expect(fromJson.errors).toEqual([
      { row: 2, field: 'Demographic.Timezone', reason: expect.stringContaining('IANA') },
      { row: 3, field: 'Demographic.Locale', reason: expect.stringContaining('en_US') },
    ]);
  });

  it('applies the rows of one endpoint in file order, partial rows included', async () => {
    const csv = [
      'Id,ChannelType,Address,Attributes.A',
      'ord,SMS,+16505554010,first',
      'ord,,,second',
      'ord,SMS,+16505554010,third',
      'ord2,,,early',
      'ord2,SMS,+16505554011,created',
      'ord2,,,later',
    ].join('\n');
    const status = await settled((await upload(csv)).json().id);
    expect(status).toMatchObject({ status: 'COMPLETED', processed: 5, failed: 1 });
    expect(status.errors).toEqual([
      { row: 5, field: 'ChannelType', reason: expect.stringContaining('required for a new endpoint') },
    ]);
    expect((await get('/endpoints/ord')).json().attributes).toEqual({ A: ['third'] });
    expect((await get('/endpoints/ord2')).json().attributes).toEqual({ A: ['later'] });
  });

  it('takes attribute names Object.prototype has, and refuses __proto__ by row', async () => {
    const csv = [
      'Id,ChannelType,Address,Attributes.constructor,User.UserAttributes.toString',
      'p1,CUSTOM,c1,x,y',
    ].join('\n');
    expect(await settled((await upload(csv)).json().id)).toMatchObject({ status: 'COMPLETED', processed: 1 });
    expect((await get('/endpoints/p1')).json()).toMatchObject({
      attributes: { constructor: ['x'] },
      user: { userAttributes: { toString: ['y'] } },
    });
    const proto = await settled(
      (await upload('Id,ChannelType,Address,Attributes.__proto__\np2,CUSTOM,c2,x\np3,CUSTOM,c3,')).json().id,
    );
    expect(proto).toMatchObject({
      status: 'COMPLETED',
      processed: 1,
      failed: 1,
      errors: [{ row: 2, field: 'Attributes.__proto__', reason: 'is not a name Herald can store' }],
    });
    expect((await get('/endpoints/p2')).statusCode).toBe(404);
  });

  it('imports NDJSON in Pinpoint format, with an IMPORT segment of the written endpoints', async () => {
    const lines = [
      JSON.stringify({ ...FIXTURE_ENDPOINT, Id: 'n1' }),
      JSON.stringify({ Id: 'n2', ChannelType: 'SMS', Address: '+16505550002', Location: { Country: 'US' } }),
      '',
      '{"Id": "n3", "ChannelType": ',
      JSON.stringify({ Id: 'n4', ChannelType: 'SMS', Address: '+16505550004', Colour: 'red' }),
      JSON.stringify({ Id: 'n5', ChannelType: 'WHATSAPP', Address: '+16505550005', OptOut: 'ALL' }),
    ].join('\n');
    const response = await upload(lines, 'application/x-ndjson', '?defineSegment=Spring%20list');
    expect(response.statusCode, response.body).toBe(202);
    const { segmentId } = response.json();
    expect(segmentId).toEqual(expect.any(String));
    const status = await settled(response.json().id);
    expect(status).toMatchObject({ status: 'COMPLETED', processed: 3, failed: 2, segmentId });
    expect(status.errors).toEqual([
      { row: 4, field: 'line', reason: expect.stringContaining('not valid JSON') },
      { row: 5, field: 'Colour', reason: 'unknown field' },
    ]);
    expect((await get('/endpoints/n1')).json()).toMatchObject({
      user: { userId: 'user_444' },
      metrics: { age: 39 },
    });

    const segment = (await get(`/segments/${segmentId}`)).json();
    expect(segment).toMatchObject({
      name: 'Spring list',
      segmentType: 'IMPORT',
      importId: response.json().id,
      version: 1,
    });
    expect((await get(`/segments/${segmentId}/estimate`)).json()).toEqual({ count: 2 });
    expect((await get(`/segments/${segmentId}/estimate?includeOptedOut=true`)).json()).toEqual({ count: 3 });

    const derived = await herald.server.inject({
      method: 'POST',
      url: `/v1/apps/${app.appId}/segments`,
      headers: app.headers,
      payload: {
        name: 'Spring list in the US',
        segmentGroups: {
          groups: [
            {
              sourceSegments: [{ id: segmentId }],
              dimensions: [{ location: { country: { values: ['US'] } } }],
            },
          ],
        },
      },
    });
    expect((await get(`/segments/${derived.json().id}/estimate`)).json()).toEqual({ count: 2 });

    const redefine = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/segments/${segmentId}`,
      headers: app.headers,
      payload: { dimensions: {} },
    });
    expect(redefine.json().error).toMatchObject({ code: 'HERALD_VALIDATION_FAILED', field: 'dimensions' });
    const rename = await herald.server.inject({
      method: 'PUT',
      url: `/v1/apps/${app.appId}/segments/${segmentId}`,
      headers: app.headers,
      payload: { name: 'Spring' },
    });
    expect(rename.json()).toMatchObject({ name: 'Spring', version: 2, segmentType: 'IMPORT' });
    expect((await get(`/segments/${segmentId}/estimate`)).json()).toEqual({ count: 2 });
  });

  it('answers bad uploads before accepting them, and keeps nothing of them', async () => {
    const cases: [string, string, string, number, string, string?][] = [
      ['Colour,Address\nred,x', 'text/csv', '', 400, 'HERALD_VALIDATION_FAILED', 'header'],
      ['', 'text/csv', '', 400, 'HERALD_VALIDATION_FAILED', 'header'],
      ['Id,"Address\n', 'text/csv', '', 400, 'HERALD_VALIDATION_FAILED', 'header'],
      ['{"a":1}', 'application/json', '', 415, 'HERALD_UNSUPPORTED_MEDIA_TYPE'],
      ['Id\n1', 'text/plain', '', 415, 'HERALD_UNSUPPORTED_MEDIA_TYPE'],
      [`Id\n${'1\n'.repeat(60_000)}`, 'text/csv', '', 413, 'HERALD_PAYLOAD_TOO_LARGE'],
      ['Id\n1', 'text/csv', '?defineSegment=', 400, 'HERALD_VALIDATION_FAILED', 'defineSegment'],
      ['Id\n1', 'text/csv', '?colour=red', 400, 'HERALD_UNKNOWN_FIELD', 'colour'],
    ];
    for (const [body, type, query, status, code, field] of cases) {
      const response = await upload(body, type, query);
      expect(response.statusCode, `${type} ${body.slice(0, 20)}`).toBe(status);
      expect(response.json().error, `${type} ${body.slice(0, 20)}`).toMatchObject({
        code,
        ...(field ? { field } : {}),
      });
    }
    expect(fs.readdirSync(path.join(dataDir, 'imports'))).toEqual([]);
    expect((await get('/imports')).json().items).toEqual([]);
    expect((await get('/segments')).json().items).toEqual([]);
  });

  it('lists imports newest first and answers 404 for an unknown one', async () => {
    const first = (await upload(FIXTURE_CSV)).json().id;
    const second = (await upload(FIXTURE_CSV)).json().id;
    await settled(first);
    await settled(second);
    const page = await get('/imports?limit=1');
    expect(page.json().items.map((i: { id: string }) => i.id)).toEqual([second]);
    expect(
      (await get(`/imports?limit=1&cursor=${page.json().nextCursor}`))
        .json()
        .items.map((i: { id: string }) => i.id),
    ).toEqual([first]);
    expect((await get('/imports/nope')).json().error).toMatchObject({
      code: 'HERALD_NOT_FOUND',
      field: 'importId',
    });
    const other = await createTestApp(herald, 'other');
    const foreign = await herald.server.inject({
      method: 'GET',
      url: `/v1/apps/${app.appId}/imports/${first}`,
      headers: other.headers,
    });
    expect(foreign.statusCode).toBe(403);
  });

  it('documents the import routes in the OpenAPI document', async () => {
    const doc = (await herald.server.inject({ method: 'GET', url: '/openapi.json' })).json();
    const upload = doc.paths['/v1/apps/{appId}/imports'].post;
    expect(upload.tags).toEqual(['imports']);
    expect(Object.keys(upload.requestBody.content).sort()).toEqual([
      'application/ndjson',
      'application/x-ndjson',
      'text/csv',
    ]);
    expect(Object.keys(upload.responses)).toContain('202');
    expect(doc.paths['/v1/apps/{appId}/imports'].get.tags).toEqual(['imports']);
    expect(doc.paths['/v1/apps/{appId}/imports/{importId}'].get.tags).toEqual(['imports']);
  });

  it('resumes an interrupted import after a restart from its last settled line, and fails one whose file is gone', async () => {
    await herald.stop();
    const imports = new KyselyImportStore(db().db);
    const csv = [
      'Id,ChannelType,Address',
      'r1,CUSTOM,a1',
      'r2,CUSTOM,a2',
      'r3,CUSTOM,a3',
      'r4,CUSTOM,a4',
    ].join('\n');
    fs.mkdirSync(path.join(dataDir, 'imports'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'imports', 'resume1'), csv);
    fs.writeFileSync(path.join(dataDir, 'imports', 'stale.part'), 'half an upload');
    const base = {
      appId: app.appId,
      format: 'CSV' as const,
      sizeBytes: csv.length,
      bytesRead: 10,
      processed: 2,
      failed: 0,
      errors: [],
      createdAt: 1,
      updatedAt: 1,
    };
    // Lines 2 and 3 were settled before the process stopped; its lease ran out long ago.
    await imports.create({ ...base, id: 'resume1', status: 'PROCESSING', rowsRead: 3 }, { leaseUntil: 1 });
    await imports.create({ ...base, id: 'gone1', status: 'CREATED', rowsRead: 0 }, { leaseUntil: 1 });

    // A worker (another host's data directory) leaves them alone: it never receives uploads, and failing them
    // would rob the server that has their files of its restart.
    const worker = await createTestHerald(db(), {
      role: 'worker',
      env: { HERALD_DATA_DIR: path.join(dataDir, 'worker-host') },
    });
    await worker.stop();
    expect((await imports.get(app.appId, 'resume1'))?.status).toBe('PROCESSING');
    expect((await imports.get(app.appId, 'gone1'))?.status).toBe('CREATED');

    herald = await createTestHerald(db(), { env: { HERALD_DATA_DIR: dataDir } });
    const resumed = await settled('resume1');
    expect(resumed).toMatchObject({ status: 'COMPLETED', processed: 4, failed: 0 });
    expect((await get('/endpoints/r1')).statusCode).toBe(404);
    expect((await get('/endpoints/r2')).statusCode).toBe(404);
    expect((await get('/endpoints/r3')).json()).toMatchObject({ address: 'a3' });
    expect((await get('/endpoints/r4')).json()).toMatchObject({ address: 'a4' });
    const gone = await settled('gone1');
    expect(gone).toMatchObject({
      status: 'FAILED',
      failureReason: expect.stringContaining('not in this host'),
    });
    expect(await spoolEmptied()).toEqual([]);
  });
});
