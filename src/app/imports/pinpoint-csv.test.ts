import { describe, expect, it } from 'vitest';
import { pinpointPath, planCsvHeader } from './pinpoint-csv.js';

describe('planCsvHeader', () => {
  it('reads every Pinpoint column, repeated attribute columns as several values, and leaves empty cells out', () => {
    const plan = planCsvHeader([
      'Id',
      'channeltype',
      'Address',
      'OptOut',
      'EffectiveDate',
      'RequestId',
      'Location.Country',
      'Location.Latitude',
      'Location.Longitude',
      'Location.City',
      'Location.PostalCode',
      'Location.Region',
      'Demographic.Platform',
      'Demographic.Locale',
      'Demographic.AppVersion',
      'Demographic.Make',
      'Demographic.Model',
      'Demographic.ModelVersion',
      'Demographic.PlatformVersion',
      'Demographic.Timezone',
      'User.UserId',
      'User.UserAttributes.FirstName',
      'Attributes.Interests',
      'Attributes.Interests',
      'Metrics.sessions',
    ]);
    const cells = [
      'e1',
      'SMS',
      '+16505551234',
      'ALL',
      '2026-01-01T00:00:00Z',
      'r1',
      'US',
      '47.6',
      '-122.3',
      'Seattle',
      '98121',
      'WA',
      'ios',
      'en_US',
      '1.0',
      'apple',
      'iPhone',
      '15',
      '17',
      'America/Los_Angeles',
      'u1',
      'Mei',
      'Music',
      'Travel',
      '12',
    ];
    expect(plan.read(cells)).toEqual({
      input: {
        id: 'e1',
        channelType: 'SMS',
        address: '+16505551234',
        optOut: 'ALL',
        effectiveDate: '2026-01-01T00:00:00Z',
        requestId: 'r1',
        location: {
          country: 'US',
          latitude: 47.6,
          longitude: -122.3,
          city: 'Seattle',
          postalCode: '98121',
          region: 'WA',
        },
        demographic: {
          platform: 'ios',
          locale: 'en_US',
          appVersion: '1.0',
          make: 'apple',
          model: 'iPhone',
          modelVersion: '15',
          platformVersion: '17',
          timezone: 'America/Los_Angeles',
        },
        user: { userId: 'u1', userAttributes: { FirstName: ['Mei'] } },
        attributes: { Interests: ['Music', 'Travel'] },
        metrics: { sessions: 12 },
      },
    });
    const sparse = cells.map((c, i) => (i < 3 || i === 22 ? c : ''));
    expect(plan.read(sparse)).toEqual({
      input: { id: 'e1', channelType: 'SMS', address: '+16505551234', attributes: { Interests: ['Music'] } },
    });
  });

  it('reports bad cells by column and a wrong number of cells', () => {
    const plan = planCsvHeader(['ChannelType', 'Address', 'Metrics.sessions', 'Location.Latitude']);
    expect(plan.read(['SMS', '+1', '0x10', '0b1'])).toEqual({
      problems: [
        { field: 'Metrics.sessions', reason: 'must be a number' },
        { field: 'Location.Latitude', reason: 'must be a number' },
      ],
    });
    expect(plan.read(['SMS', '+1', ' -1.5e3 ', '.5'])).toEqual({
      input: { channelType: 'SMS', address: '+1', metrics: { sessions: -1500 }, location: { latitude: 0.5 } },
    });
    expect(plan.read(['SMS', '+1', 'many', 'north'])).toEqual({
      problems: [
        { field: 'Metrics.sessions', reason: 'must be a number' },
        { field: 'Location.Latitude', reason: 'must be a number' },
      ],
    });
    expect(plan.read(['SMS', '+1'])).toEqual({
      problems: [{ field: 'row', reason: 'has 2 cells, the header has 4' }],
    });
  });

  it('takes attribute names that Object.prototype has as plain names', () => {
    const plan = planCsvHeader([
      'Id',
      'Attributes.constructor',
      'Attributes.__proto__',
      'Attributes.__proto__',
      'User.UserAttributes.toString',
      'User.UserAttributes.hasOwnProperty',
    ]);
    const read = plan.read(['e1', 'x', 'p1', 'p2', 't', 'h']);
    expect(read).toEqual({
      input: {
        id: 'e1',
        attributes: { constructor: ['x'], ['__proto__']: ['p1', 'p2'] },
        user: { userAttributes: { toString: ['t'], hasOwnProperty: ['h'] } },
      },
    });
    if (!('input' in read)) throw new Error('no input');
    expect(Object.getPrototypeOf(read.input.attributes)).toBe(Object.prototype);
    expect(Object.keys(read.input.attributes ?? {})).toEqual(['constructor', '__proto__']);
  });

  it('refuses headers it cannot import, naming the column', () => {
    const refused = (header: string[]) => {
      try {
        planCsvHeader(header);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused(['ChannelType', 'Address', 'Colour'])).toContain('unknown column "Colour"');
    expect(refused(['Id', 'EndpointStatus'])).toContain('"EndpointStatus" cannot be imported');
    expect(refused(['Id', 'Address', 'Address'])).toContain('appears twice');
    expect(refused(['Id', 'Metrics.a', 'Metrics.a'])).toContain('appears twice');
    expect(refused(['Address', 'User.UserId'])).toContain('needs an Id column, or ChannelType and Address');
    expect(refused(['User.UserId'])).toContain('user ids only');
    expect(refused([])).toContain('empty');
    expect(refused(['Id', ''])).toContain('column 2 has no name');
    expect(refused(['Id', 'Location.Planet'])).toContain('unknown column "Location.Planet"');
    // Names of Object.prototype are not columns Herald knows.
    expect(refused(['Id', 'Location.constructor'])).toContain('unknown column "Location.constructor"');
    expect(refused(['Id', 'Demographic.toString'])).toContain('unknown column "Demographic.toString"');
    expect(refused(['Id', 'constructor'])).toContain('unknown column "constructor"');
    expect(refused(['Id'])).toBe('accepted');
  });
});

describe('pinpointPath', () => {
  it('names a field the way the file does', () => {
    expect(pinpointPath('address')).toBe('Address');
    expect(pinpointPath('attributes.Interests')).toBe('Attributes.Interests');
    expect(pinpointPath('attributes.a.b')).toBe('Attributes.a.b');
    expect(pinpointPath('user.userAttributes.firstName')).toBe('User.UserAttributes.firstName');
    expect(pinpointPath('user.userId')).toBe('User.UserId');
    expect(pinpointPath('location.latitude')).toBe('Location.Latitude');
    expect(pinpointPath('metrics.sessions')).toBe('Metrics.sessions');
  });
});
