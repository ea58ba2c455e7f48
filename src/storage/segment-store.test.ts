import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/test-database.js';
import { createRecipientHasher } from '../app/delivery/recipient-hasher.js';
import type { ChannelType } from '../domain/channel-type.js';
import type { EndpointPatch } from '../domain/endpoint-patch.js';
import type {
  AttributeDimension,
  Include,
  Segment,
  SegmentDefinition,
  SegmentDimensions,
  SetDimension,
} from '../domain/segment.js';
import { KyselyAppStore } from './app-store.js';
import { KyselyEndpointStore } from './endpoint-store.js';
import { KyselySegmentStore } from './segment-store.js';

/*
 * Every dimension type is checked against a generated data set: the expected members are computed here, in plain
 * TypeScript over the generated data (not over what the database returns), and compared with the database's
 * count and with the paged listing.
 */

const NOW = Date.parse('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIZE = 400;

interface Person {
  id: string;
  channelType: ChannelType;
  active: boolean;
  optedOut: boolean;
  country?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  latitude?: number;
  longitude?: number;
  platform?: string;
  make?: string;
  model?: string;
  appVersion?: string;
  attributes: Record<string, string[]>;
  userAttributes: Record<string, string[]>;
  metrics: Record<string, number>;
  lastActiveAt?: number;
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(): Person[] {
  const r = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  const maybe = <T>(value: T, p = 0.8): T | undefined => (r() < p ? value : undefined);
  const someOf = (items: readonly string[]) => items.filter(() => r() < 0.35);
  const dates = [
    '2025-01-15T08:00:00Z',
    '2025-03-01',
    '2025-03-01T23:30:00-02:00', // 2025-03-02 in UTC
    '2025-06-30T12:00:00.250Z',
    '2026-01-01T00:00:00+07:00', // 2025-12-31 in UTC
    'unknown',
  ];
  const people: Person[] = [];
  for (let i = 0; i < SIZE; i++) {
    const channelType = pick<ChannelType>(['WHATSAPP', 'SMS', 'LINE', 'CUSTOM']);
    const near = pick([
      [47.6, -122.3],
      [45.5, -122.7],
      [13.75, 100.5],
      [35.7, 139.7],
    ]) as [number, number];
    const person: Person = {
      id: `e${String(i).padStart(4, '0')}`,
      channelType,
      active: r() > 0.1,
      optedOut: r() < 0.1,
      attributes: {},
      userAttributes: {},
      metrics: {},
    };
    const set = <K extends keyof Person>(key: K, value: Person[K] | undefined) => {
      if (value !== undefined) person[key] = value;
    };
    set('country', maybe(pick(['US', 'CA', 'TH', 'JP'])));
    set('city', maybe(pick(['Seattle', 'Portland', 'Bangkok', 'Tokyo'])));
    set('region', maybe(pick(['WA', 'OR', 'BKK'])));
    set('postalCode', maybe(pick(['98121', '97201', '10110'])));
    if (r() < 0.85) {
      set('latitude', near[0] + (r() - 0.5) * 10);
      set('longitude', near[1] + (r() - 0.5) * 10);
    }
    set('platform', maybe(pick(['ios', 'android'])));
    set('make', maybe(pick(['apple', 'samsung', 'google'])));
    set('model', maybe(pick(['iPhone', 'Galaxy', 'Pixel'])));
    set('appVersion', maybe(pick(['1.0', '1.1', '2.0'])));
    const interests = someOf(['Music', 'Travel', 'Science', 'Sports']);
    if (interests.length > 0) person.attributes.Interests = interests;
    const tags = someOf(['vip-gold', 'vip-silver', 'regular', 'gold-star', 'new']);
    if (tags.length > 0) person.attributes.Tags = tags;
    const signup = someOf(dates);
    if (signup.length > 0) person.attributes.SignupDate = signup;
    // Names that JSON paths would misread: quotes, dots, brackets (derived from i: the random sequence stays).
    if (i % 3 === 0) person.attributes['Say "hi"'] = [i % 2 === 0 ? 'yes' : 'no'];
    if (i % 4 === 1) person.attributes['plan.tier[0]'] = [i % 8 === 1 ? 'gold' : 'basic'];
    if (r() < 0.7) person.userAttributes.FirstName = [pick(['Mei', 'Ana', 'Somchai', 'Kenji'])];
    if (r() < 0.6) person.userAttributes.Birthday = [pick(dates)];
    if (r() < 0.8) person.metrics.sessions = Math.floor(r() * 21);
    if (r() < 0.5) person.metrics.score = Math.round(r() * 1000) / 10;
    if (r() < 0.7) set('lastActiveAt', NOW - Math.floor(r() * 40 * DAY));
    people.push(person);
  }
  return people;
}

const PEOPLE = generate();

function toPatch(person: Person, index: number): EndpointPatch {
  const address =
    person.channelType === 'LINE'
      ? `U${index.toString(16).padStart(32, '0')}`
      : person.channelType === 'CUSTOM'
        ? `custom-${index}`
        : `+1650555${String(index).padStart(4, '0')}`;
  return {
    id: person.id,
    channelType: person.channelType,
    address,
    endpointStatus: person.active ? 'ACTIVE' : 'INACTIVE',
    optOut: person.optedOut ? 'ALL' : 'NONE',
    location: {
      ...(person.country ? { country: person.country } : {}),
      ...(person.city ? { city: person.city } : {}),
      ...(person.region ? { region: person.region } : {}),
      ...(person.postalCode ? { postalCode: person.postalCode } : {}),
      ...(person.latitude !== undefined ? { latitude: person.latitude } : {}),
      ...(person.longitude !== undefined ? { longitude: person.longitude } : {}),
    },
    demographic: {
      ...(person.platform ? { platform: person.platform } : {}),
      ...(person.make ? { make: person.make } : {}),
      ...(person.model ? { model: person.model } : {}),
      ...(person.appVersion ? { appVersion: person.appVersion } : {}),
    },
    attributes: person.attributes,
    metrics: person.metrics,
    user: { userId: `u${index}`, userAttributes: person.userAttributes },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The reference evaluator: plain TypeScript over the generated people.

function inSet(value: string | undefined, dimension: SetDimension): boolean {
  const found = value !== undefined && dimension.values.includes(value);
  return dimension.dimensionType === 'INCLUSIVE' ? found : !found;
}

/** Date.parse reads every date format the generator writes the ISO way (date-only as UTC). */
function times(values: readonly string[] | undefined): number[] {
  return (values ?? []).map((v) => Date.parse(v)).filter((t) => !Number.isNaN(t));
}

function attributeMatches(values: readonly string[] | undefined, dimension: AttributeDimension): boolean {
  const list = values ?? [];
  const [a, b] = dimension.values.map((v) => Date.parse(v)) as [number, number];
  switch (dimension.attributeType) {
    case 'INCLUSIVE':
      return list.some((v) => dimension.values.includes(v));
    case 'EXCLUSIVE':
      return !list.some((v) => dimension.values.includes(v));
    case 'CONTAINS':
      return list.some((v) => dimension.values.some((needle) => v.includes(needle)));
    case 'BEFORE':
      return times(values).some((t) => t < a);
    case 'AFTER':
      return times(values).some((t) => t > a);
    case 'ON':
      return times(values).some(
        (t) => new Date(t).toISOString().slice(0, 10) === new Date(a).toISOString().slice(0, 10),
      );
    case 'BETWEEN':
      return times(values).some((t) => t >= a && t <= b);
  }
}

function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

function dimensionsMatch(p: Person, d: SegmentDimensions): boolean {
  const checks: boolean[] = [];
  const demo = d.demographic ?? {};
  if (demo.channel) checks.push(inSet(p.channelType, demo.channel));
  if (demo.platform) checks.push(inSet(p.platform, demo.platform));
  if (demo.make) checks.push(inSet(p.make, demo.make));
  if (demo.model) checks.push(inSet(p.model, demo.model));
  if (demo.appVersion) checks.push(inSet(p.appVersion, demo.appVersion));
  const loc = d.location ?? {};
  if (loc.country) checks.push(inSet(p.country, loc.country));
  if (loc.city) checks.push(inSet(p.city, loc.city));
  if (loc.region) checks.push(inSet(p.region, loc.region));
  if (loc.postalCode) checks.push(inSet(p.postalCode, loc.postalCode));
  if (loc.gpsPoint) {
    const { latitude, longitude } = loc.gpsPoint.coordinates;
    checks.push(
      p.latitude !== undefined &&
        p.longitude !== undefined &&
        distanceKm(latitude, longitude, p.latitude, p.longitude) <= loc.gpsPoint.rangeInKilometers,
    );
  }
  for (const [name, dim] of Object.entries(d.attributes ?? {}))
    checks.push(attributeMatches(p.attributes[name], dim));
  for (const [name, dim] of Object.entries(d.userAttributes ?? {}))
    checks.push(attributeMatches(p.userAttributes[name], dim));
  for (const [name, dim] of Object.entries(d.metrics ?? {})) {
    const v = p.metrics[name];
    const x = dim.value;
    checks.push(
      v !== undefined &&
        {
          GREATER_THAN: v > x,
          LESS_THAN: v < x,
          GREATER_THAN_OR_EQUAL: v >= x,
          LESS_THAN_OR_EQUAL: v <= x,
          EQUAL: v === x,
        }[dim.comparisonOperator],
    );
  }
  const recency = d.behavior?.recency;
  if (recency) {
    const ms = { HR_24: DAY, DAY_7: 7 * DAY, DAY_14: 14 * DAY, DAY_30: 30 * DAY }[recency.duration];
    const recent = p.lastActiveAt !== undefined && p.lastActiveAt >= NOW - ms;
    checks.push(recency.recencyType === 'ACTIVE' ? recent : !recent);
  }
  return checks.every(Boolean);
}

function combine(results: boolean[], include: Include): boolean {
  if (include === 'ALL') return results.every(Boolean);
  if (include === 'ANY') return results.some(Boolean);
  return !results.some(Boolean);
}

type Saved = Map<string, (SegmentDefinition & { members?: Set<string> })[]>;

function definitionMatches(
  p: Person,
  def: SegmentDefinition & { members?: Set<string> },
  saved: Saved,
): boolean {
  if (def.members) return def.members.has(p.id);
  const checks: boolean[] = [];
  if (def.dimensions) checks.push(dimensionsMatch(p, def.dimensions));
  if (def.segmentGroups) {
    const groups = def.segmentGroups.groups.map((g) => {
      const parts: boolean[] = [];
      if (g.sourceSegments.length > 0) {
        parts.push(
          combine(
            g.sourceSegments.map((ref) => {
              const versions = saved.get(ref.id) ?? [];
              const source = versions[(ref.version ?? versions.length) - 1];
              if (!source) throw new Error(`test bug: no segment ${ref.id}`);
              return definitionMatches(p, source, saved);
            }),
            g.sourceType,
          ),
        );
      }
      if (g.dimensions.length > 0)
        parts.push(
          combine(
            g.dimensions.map((d) => dimensionsMatch(p, d)),
            g.type,
          ),
        );
      return parts.every(Boolean);
    });
    checks.push(combine(groups, def.segmentGroups.include));
  }
  return checks.every(Boolean);
}

function expectedIds(
  def: SegmentDefinition & { members?: Set<string> },
  saved: Saved,
  options: { includeOptedOut?: boolean; includeInactive?: boolean } = {},
): string[] {
  return PEOPLE.filter(
    (p) =>
      (options.includeInactive || p.active) &&
      (options.includeOptedOut || !p.optedOut) &&
      definitionMatches(p, def, saved),
  ).map((p) => p.id);
}

// ---------------------------------------------------------------------------------------------------------

const set = (dimensionType: 'INCLUSIVE' | 'EXCLUSIVE', ...values: string[]): SetDimension => ({
  dimensionType,
  values,
});
const attr = (
  attributeType: AttributeDimension['attributeType'],
  ...values: string[]
): AttributeDimension => ({
  attributeType,
  values,
});

const DIMENSION_CASES: [string, SegmentDimensions][] = [
  ['channel INCLUSIVE', { demographic: { channel: set('INCLUSIVE', 'WHATSAPP', 'LINE') } }],
  ['channel EXCLUSIVE', { demographic: { channel: set('EXCLUSIVE', 'SMS') } }],
  ['platform INCLUSIVE', { demographic: { platform: set('INCLUSIVE', 'ios') } }],
  ['platform EXCLUSIVE (missing values match)', { demographic: { platform: set('EXCLUSIVE', 'ios') } }],
  ['make', { demographic: { make: set('INCLUSIVE', 'apple', 'google') } }],
  ['model EXCLUSIVE', { demographic: { model: set('EXCLUSIVE', 'Pixel') } }],
  ['appVersion', { demographic: { appVersion: set('INCLUSIVE', '2.0') } }],
  ['country INCLUSIVE', { location: { country: set('INCLUSIVE', 'US', 'CA') } }],
  ['country EXCLUSIVE', { location: { country: set('EXCLUSIVE', 'US') } }],
  ['city', { location: { city: set('INCLUSIVE', 'Tokyo') } }],
  ['region EXCLUSIVE', { location: { region: set('EXCLUSIVE', 'WA', 'OR') } }],
  ['postalCode', { location: { postalCode: set('INCLUSIVE', '98121') } }],
  [
    'GPS 300 km',
    {
      location: { gpsPoint: { coordinates: { latitude: 47.6, longitude: -122.3 }, rangeInKilometers: 300 } },
    },
  ],
  [
    'GPS 1000 km',
    {
      location: { gpsPoint: { coordinates: { latitude: 13.75, longitude: 100.5 }, rangeInKilometers: 1000 } },
    },
  ],
  [
    'GPS covering the globe',
    { location: { gpsPoint: { coordinates: { latitude: 0, longitude: 0 }, rangeInKilometers: 20_100 } } },
  ],
  ['attribute INCLUSIVE', { attributes: { Interests: attr('INCLUSIVE', 'Music', 'Science') } }],
  ['attribute EXCLUSIVE', { attributes: { Interests: attr('EXCLUSIVE', 'Music') } }],
  ['attribute CONTAINS', { attributes: { Tags: attr('CONTAINS', 'gold') } }],
  ['attribute CONTAINS is case-sensitive', { attributes: { Tags: attr('CONTAINS', 'VIP', 'star') } }],
  ['attribute BEFORE', { attributes: { SignupDate: attr('BEFORE', '2025-03-02T00:00:00Z') } }],
  ['attribute AFTER', { attributes: { SignupDate: attr('AFTER', '2025-03-01T12:00:00Z') } }],
  ['attribute ON (date only)', { attributes: { SignupDate: attr('ON', '2025-03-02T18:00:00Z') } }],
  [
    'attribute BETWEEN',
    { attributes: { SignupDate: attr('BETWEEN', '2025-03-01', '2025-06-30T12:00:00.250Z') } },
  ],
  ['attribute missing name', { attributes: { Nope: attr('INCLUSIVE', 'x') } }],
  ['attribute named with a double quote', { attributes: { 'Say "hi"': attr('INCLUSIVE', 'yes') } }],
  ['attribute named like a JSON path', { attributes: { 'plan.tier[0]': attr('CONTAINS', 'gol') } }],
  ['user attribute INCLUSIVE', { userAttributes: { FirstName: attr('INCLUSIVE', 'Mei') } }],
  ['user attribute EXCLUSIVE', { userAttributes: { FirstName: attr('EXCLUSIVE', 'Mei', 'Ana') } }],
  ['user attribute CONTAINS', { userAttributes: { FirstName: attr('CONTAINS', 'a') } }],
  ['user attribute BEFORE', { userAttributes: { Birthday: attr('BEFORE', '2025-06-01') } }],
  ['user attribute ON', { userAttributes: { Birthday: attr('ON', '2025-12-31') } }],
  ['metric GREATER_THAN', { metrics: { sessions: { comparisonOperator: 'GREATER_THAN', value: 10 } } }],
  ['metric LESS_THAN', { metrics: { sessions: { comparisonOperator: 'LESS_THAN', value: 5 } } }],
  [
    'metric GREATER_THAN_OR_EQUAL',
    { metrics: { score: { comparisonOperator: 'GREATER_THAN_OR_EQUAL', value: 50.5 } } },
  ],
  [
    'metric LESS_THAN_OR_EQUAL',
    { metrics: { sessions: { comparisonOperator: 'LESS_THAN_OR_EQUAL', value: 0 } } },
  ],
  ['metric EQUAL', { metrics: { sessions: { comparisonOperator: 'EQUAL', value: 7 } } }],
  ['recency ACTIVE 24h', { behavior: { recency: { duration: 'HR_24', recencyType: 'ACTIVE' } } }],
  ['recency ACTIVE 7 days', { behavior: { recency: { duration: 'DAY_7', recencyType: 'ACTIVE' } } }],
  ['recency INACTIVE 14 days', { behavior: { recency: { duration: 'DAY_14', recencyType: 'INACTIVE' } } }],
  ['recency ACTIVE 30 days', { behavior: { recency: { duration: 'DAY_30', recencyType: 'ACTIVE' } } }],
  [
    'three dimensions together',
    {
      demographic: { channel: set('INCLUSIVE', 'WHATSAPP', 'SMS') },
      location: { country: set('INCLUSIVE', 'US', 'CA', 'TH') },
      attributes: { Interests: attr('INCLUSIVE', 'Music', 'Travel') },
    },
  ],
  [
    'every kind at once',
    {
      demographic: { platform: set('EXCLUSIVE', 'android') },
      location: { gpsPoint: { coordinates: { latitude: 40, longitude: -122 }, rangeInKilometers: 1500 } },
      attributes: { Tags: attr('CONTAINS', 'vip') },
      metrics: { sessions: { comparisonOperator: 'GREATER_THAN_OR_EQUAL', value: 3 } },
      behavior: { recency: { duration: 'DAY_30', recencyType: 'ACTIVE' } },
    },
  ],
];

describeEachDatabase(
  'KyselySegmentStore evaluation',
  (db) => {
    let endpoints: KyselyEndpointStore;
    let segments: KyselySegmentStore;
    const saved: Saved = new Map();
    let counter = 0;

    async function save(definition: SegmentDefinition, id = `s${++counter}`): Promise<string> {
      const versions = saved.get(id) ?? [];
      const segment: Segment = {
        appId: 'a1',
        id,
        name: id,
        version: versions.length + 1,
        segmentType: 'DIMENSIONAL',
        ...definition,
        createdAt: NOW,
        updatedAt: NOW,
      };
      if (versions.length === 0) await segments.create(segment);
      else await segments.addVersion(segment);
      saved.set(id, [...versions, definition]);
      return id;
    }

    async function listAll(
      id: string,
      options: Parameters<KyselySegmentStore['estimate']>[2] = {},
    ): Promise<string[]> {
      const ids: string[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await segments.pageSegmentEndpoints('a1', id, {
          ...options,
          limit: 37,
          ...(afterId ? { afterId } : {}),
        });
        ids.push(...page.map((e) => e.id));
        if (page.length < 37) return ids;
        afterId = page.at(-1)?.id;
      }
    }

    async function check(
      id: string,
      options: { version?: number; includeOptedOut?: boolean; includeInactive?: boolean } = {},
    ) {
      const versions = saved.get(id) ?? [];
      const definition = versions[(options.version ?? versions.length) - 1];
      if (!definition) throw new Error(`test bug: no ${id}`);
      const expected = expectedIds(definition, saved, options);
      expect(await segments.estimate('a1', id, options)).toBe(expected.length);
      expect(await listAll(id, options)).toEqual(expected);
      return expected.length;
    }

    beforeAll(async () => {
      const database = db();
      const apps = new KyselyAppStore(database.db);
      for (const id of ['a1', 'a2']) {
        await apps.createApp(
          { id, name: id, createdAt: NOW },
          { id: `k-${id}`, appId: id, name: 'k', hint: 'hint', createdAt: NOW, secretHash: 'x' },
        );
      }
      endpoints = new KyselyEndpointStore(database.db, database.dialect, createRecipientHasher('test'));
      segments = new KyselySegmentStore(database.db, database.dialect, { now: () => NOW });
      const patches = PEOPLE.map(toPatch);
      for (let i = 0; i < patches.length; i += 100) {
        const outcome = await endpoints.upsert('a1', patches.slice(i, i + 100), { at: NOW - 100 * DAY });
        expect(outcome.rejected).toEqual([]);
      }
      for (const person of PEOPLE) {
        if (person.lastActiveAt !== undefined)
          await endpoints.touchActivity('a1', [person.id], person.lastActiveAt);
      }
      // Another app's endpoints never show up.
      await endpoints.upsert('a2', PEOPLE.slice(0, 50).map(toPatch), { at: NOW });
    });

    for (const [name, dimensions] of DIMENSION_CASES) {
      it(`dimension: ${name}`, async () => {
        const id = await save({ dimensions });
        await check(id);
      });
    }

    it('every dimension case selects some endpoints and leaves some out (the cases can fail)', () => {
      for (const [name, dimensions] of DIMENSION_CASES.filter(
        ([n]) => !n.includes('missing name') && !n.includes('globe'),
      )) {
        const count = expectedIds({ dimensions }, saved).length;
        expect(count, name).toBeGreaterThan(0);
        expect(count, name).toBeLessThan(PEOPLE.filter((p) => p.active && !p.optedOut).length);
      }
    });

    it('includes opted-out and inactive endpoints only when asked', async () => {
      const id = await save({
        dimensions: { demographic: { channel: set('INCLUSIVE', 'WHATSAPP', 'SMS') } },
      });
      const base = await check(id);
      const withOptedOut = await check(id, { includeOptedOut: true });
      const withInactive = await check(id, { includeInactive: true });
      const everything = await check(id, { includeOptedOut: true, includeInactive: true });
      expect(withOptedOut).toBeGreaterThan(base);
      expect(withInactive).toBeGreaterThan(base);
      expect(everything).toBeGreaterThan(Math.max(withOptedOut, withInactive));
    });

    it('an empty definition is every reachable endpoint of the app', async () => {
      const id = await save({});
      expect(await check(id)).toBe(PEOPLE.filter((p) => p.active && !p.optedOut).length);
    });

    for (const include of ['ALL', 'ANY', 'NONE'] as const) {
      for (const type of ['ALL', 'ANY', 'NONE'] as const) {
        it(`groups: include ${include}, dimensions combined with ${type}`, async () => {
          const id = await save({
            segmentGroups: {
              include,
              groups: [
                {
                  type,
                  sourceType: 'ALL',
                  sourceSegments: [],
                  dimensions: [
                    { demographic: { channel: set('INCLUSIVE', 'WHATSAPP') } },
                    { attributes: { Interests: attr('INCLUSIVE', 'Music') } },
                  ],
                },
                {
                  type: 'ALL',
                  sourceType: 'ALL',
                  sourceSegments: [],
                  dimensions: [{ metrics: { sessions: { comparisonOperator: 'GREATER_THAN', value: 12 } } }],
                },
              ],
            },
          });
          await check(id);
        });
      }
    }

    for (const sourceType of ['ALL', 'ANY', 'NONE'] as const) {
      it(`source segments combined with ${sourceType}, filtered by the group's dimensions`, async () => {
        const us = await save({ dimensions: { location: { country: set('INCLUSIVE', 'US') } } });
        const music = await save({ dimensions: { attributes: { Interests: attr('INCLUSIVE', 'Music') } } });
        const id = await save({
          segmentGroups: {
            include: 'ALL',
            groups: [
              {
                type: 'ALL',
                sourceType,
                sourceSegments: [{ id: us }, { id: music }],
                dimensions: [{ demographic: { platform: set('INCLUSIVE', 'ios') } }],
              },
            ],
          },
        });
        await check(id);
      });
    }

    it('top-level dimensions and groups both apply', async () => {
      const id = await save({
        dimensions: { demographic: { channel: set('EXCLUSIVE', 'CUSTOM') } },
        segmentGroups: {
          include: 'ANY',
          groups: [
            {
              type: 'ALL',
              sourceType: 'ALL',
              sourceSegments: [],
              dimensions: [{ location: { country: set('INCLUSIVE', 'JP') } }],
            },
            {
              type: 'ALL',
              sourceType: 'ALL',
              sourceSegments: [],
              dimensions: [{ userAttributes: { FirstName: attr('INCLUSIVE', 'Kenji') } }],
            },
          ],
        },
      });
      await check(id);
    });

    it('versions: a pinned source version keeps its definition, an unpinned one follows the latest', async () => {
      const base = await save({ dimensions: { location: { country: set('INCLUSIVE', 'US') } } });
      await save({ dimensions: { location: { country: set('INCLUSIVE', 'TH') } } }, base);
      const pinned = await save({
        segmentGroups: {
          include: 'ALL',
          groups: [
            { type: 'ALL', sourceType: 'ANY', sourceSegments: [{ id: base, version: 1 }], dimensions: [] },
          ],
        },
      });
      const latest = await save({
        segmentGroups: {
          include: 'ALL',
          groups: [{ type: 'ALL', sourceType: 'ANY', sourceSegments: [{ id: base }], dimensions: [] }],
        },
      });
      const us = await check(pinned);
      const th = await check(latest);
      expect(us).not.toBe(th);
      await check(base, { version: 1 });
      await check(base, { version: 2 });
      expect((await segments.get('a1', base))?.version).toBe(2);
      expect((await segments.listVersions('a1', base)).map((s) => s.version)).toEqual([2, 1]);
    });

    it('an IMPORT segment is its members, usable as a source', async () => {
      const members = PEOPLE.filter((_, i) => i % 3 === 0).map((p) => p.id);
      await segments.create({
        appId: 'a1',
        id: 'imported',
        name: 'imported',
        version: 1,
        segmentType: 'IMPORT',
        importId: 'i1',
        createdAt: NOW,
        updatedAt: NOW,
      });
      await segments.addMembers('a1', 'imported', members.slice(0, 50));
      await segments.addMembers('a1', 'imported', [...members.slice(40), 'not-an-endpoint']);
      saved.set('imported', [{ members: new Set(members) }]);
      await check('imported');
      const id = await save({
        segmentGroups: {
          include: 'ALL',
          groups: [
            {
              type: 'ANY',
              sourceType: 'ANY',
              sourceSegments: [{ id: 'imported' }],
              dimensions: [
                { demographic: { channel: set('INCLUSIVE', 'LINE') } },
                { location: { country: set('INCLUSIVE', 'CA') } },
              ],
            },
          ],
        },
      });
      await check(id);
      // Deleting an endpoint takes it out of the imported segment.
      const before = await segments.estimate('a1', 'imported', {
        includeInactive: true,
        includeOptedOut: true,
      });
      await endpoints.delete('a1', members[0] as string);
      expect(
        await segments.estimate('a1', 'imported', { includeInactive: true, includeOptedOut: true }),
      ).toBe(before - 1);
      await endpoints.upsert('a1', [toPatch(PEOPLE[0] as Person, 0)], { at: NOW - 100 * DAY });
      expect(
        await segments.estimate('a1', 'imported', { includeInactive: true, includeOptedOut: true }),
      ).toBe(before - 1);
    });

    it('refuses unknown segments and versions, cycles and missing sources', async () => {
      await expect(segments.estimate('a1', 'nope')).rejects.toMatchObject({
        code: 'HERALD_NOT_FOUND',
        field: 'segmentId',
      });
      const id = await save({});
      await expect(segments.estimate('a1', id, { version: 9 })).rejects.toMatchObject({
        code: 'HERALD_NOT_FOUND',
        field: 'version',
      });
      await expect(segments.estimate('a2', id)).rejects.toMatchObject({ code: 'HERALD_NOT_FOUND' });

      const group = (source: string) => ({
        segmentGroups: {
          include: 'ALL' as const,
          groups: [
            {
              type: 'ALL' as const,
              sourceType: 'ALL' as const,
              sourceSegments: [{ id: source }],
              dimensions: [],
            },
          ],
        },
      });
      await save(group('cycle-b'), 'cycle-a');
      await save(group('cycle-a'), 'cycle-b');
      await expect(segments.estimate('a1', 'cycle-a')).rejects.toMatchObject({ code: 'HERALD_CONFLICT' });
      await save(group('gone'), 'orphan');
      await expect(segments.estimate('a1', 'orphan')).rejects.toMatchObject({ code: 'HERALD_CONFLICT' });
      await expect(
        segments.addVersion({
          appId: 'a1',
          id,
          name: 'x',
          version: 5,
          segmentType: 'DIMENSIONAL',
          createdAt: NOW,
          updatedAt: NOW,
        }),
      ).rejects.toMatchObject({ code: 'HERALD_VERSION_MISMATCH' });
    });

    it('lists latest versions in id order and deletes a segment with its members', async () => {
      const all = await segments.list('a1', { limit: 1000 });
      const ids = all.map((s) => s.id);
      expect(ids).toEqual([...ids].sort());
      expect(new Set(ids).size).toBe(ids.length);
      const page = await segments.list('a1', { limit: 2, afterId: ids[0] as string });
      expect(page.map((s) => s.id)).toEqual(ids.slice(1, 3));
      expect(await segments.delete('a1', 'imported')).toBe(true);
      expect(await segments.delete('a1', 'imported')).toBe(false);
      expect(await segments.get('a1', 'imported')).toBeUndefined();
    });
  },
  { scope: 'suite' },
);
