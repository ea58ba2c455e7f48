import { describe, expect, it } from 'vitest';
import { isManagedChannelId, managedChannelId, managedChannelIds } from './managed-channel.js';

describe('managed channel ids', () => {
  it('recognises the ids campaigns give their channels, and only those', () => {
    const id = managedChannelId('01JD3X8M2K4Q7R9S5T6V8W0Y1Z', '4');
    expect(id).toBe('campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-4');
    expect(isManagedChannelId(id)).toBe(true);
    for (const own of [
      'custom',
      'campaign-spring-1',
      'campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-5',
      'campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-0-old',
      'my-campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-0',
      'campaign-01JD3X8M2K4Q7R9S5T6V8W0Y1Z-0',
    ])
      expect(isManagedChannelId(own), own).toBe(false);
  });

  it('lists every id a campaign’s channels can have, one per treatment', () => {
    const ids = managedChannelIds('01jd3x8m2k4q7r9s5t6v8w0y1z');
    expect(ids).toEqual(
      ['0', '1', '2', '3', '4'].map((t) => managedChannelId('01jd3x8m2k4q7r9s5t6v8w0y1z', t)),
    );
    expect(ids.every(isManagedChannelId)).toBe(true);
  });
});
