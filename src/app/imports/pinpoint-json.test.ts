import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readJsonLine } from './pinpoint-json.js';

describe('readJsonLine', () => {
  it('reads a Pinpoint UpdateEndpoint body (the shared fixture) as one NDJSON line', () => {
    const fixture = JSON.parse(
      fs.readFileSync('/work/shared/fixtures/pinpoint/update-endpoint-request.json', 'utf8'),
    );
    expect(readJsonLine(JSON.stringify(fixture))).toEqual({
      input: {
        channelType: 'CUSTOM',
        address: '8613800138000',
        metrics: { technology_interest_level: 9, music_interest_level: 6, travel_interest_level: 4, age: 39 },
        location: {
          country: 'US',
          city: 'Seattle',
          postalCode: '98121',
          latitude: 47.61,
          longitude: -122.33,
        },
        user: { userId: 'user_444', userAttributes: { FirstName: ['Mei'], interests: ['Technology'] } },
      },
    });
  });

  it("accepts the read-only fields of Pinpoint's export and honours EndpointStatus", () => {
    const line = JSON.stringify({
      Id: 'e1',
      ChannelType: 'SMS',
      Address: '+16505551234',
      EndpointStatus: 'INACTIVE',
      ApplicationId: 'x',
      CohortId: '12',
      CreationDate: '2020-01-01T00:00:00Z',
    });
    expect(readJsonLine(line)).toEqual({
      input: { id: 'e1', channelType: 'SMS', address: '+16505551234', endpointStatus: 'INACTIVE' },
    });
  });

  it('reports bad JSON and bad fields with their path', () => {
    expect(readJsonLine('{"ChannelType": ')).toMatchObject({
      problems: [{ field: 'line', reason: expect.stringContaining('not valid JSON') }],
    });
    const result = readJsonLine('{"ChannelType":"SMS","Colour":"red","Metrics":{"m":"high"}}');
    expect(
      'problems' in result && [...result.problems].sort((a, b) => a.field.localeCompare(b.field)),
    ).toEqual([
      { field: 'Colour', reason: 'unknown field' },
      { field: 'Metrics.m', reason: expect.any(String) },
    ]);
    expect(readJsonLine('[1]')).toMatchObject({ problems: [{ field: 'line' }] });
  });
});
