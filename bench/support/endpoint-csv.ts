import { once } from 'node:events';
import fs from 'node:fs';

export const BENCH_COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'JP', 'TH', 'BR', 'MX', 'IN'] as const;
export const BENCH_INTERESTS = [
  'Music',
  'Travel',
  'Science',
  'Sports',
  'Food',
  'Art',
  'Movies',
  'Books',
] as const;

export const BENCH_CSV_HEADER = [
  'Id',
  'ChannelType',
  'Address',
  'OptOut',
  'Location.Country',
  'Location.City',
  'Demographic.Platform',
  'Demographic.Locale',
  'User.UserId',
  'User.UserAttributes.FirstName',
  'Attributes.Interests',
  'Attributes.Interests',
  'Metrics.sessions',
].join(',');

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

/**
 * Writes `rows` endpoints in Pinpoint's CSV import format: 45% WHATSAPP and 35% SMS (distinct valid US numbers),
 * 10% LINE, 10% CUSTOM; ten countries; up to two interests; a metric; a user id and a user attribute. The same
 * seed gives the same file.
 */
export async function writeEndpointCsv(file: string, rows: number, seed = 7): Promise<number> {
  if (rows > 8_000_000) throw new Error('the generator has distinct phone numbers for 8,000,000 rows');
  const r = random(seed);
  const out = fs.createWriteStream(file);
  let chunk = `${BENCH_CSV_HEADER}\n`;
  for (let i = 0; i < rows; i++) {
    const roll = r();
    const channel = roll < 0.45 ? 'WHATSAPP' : roll < 0.8 ? 'SMS' : roll < 0.9 ? 'LINE' : 'CUSTOM';
    // 650-200-0000 onwards: valid NANP numbers, one per row.
    const n = 2_000_000 + i;
    const address =
      channel === 'LINE'
        ? `U${i.toString(16).padStart(32, '0')}`
        : channel === 'CUSTOM'
          ? `custom-${i}`
          : `+1${650 + Math.floor(n / 10_000_000)}${String(n % 10_000_000).padStart(7, '0')}`;
    const country = BENCH_COUNTRIES[Math.floor(r() * BENCH_COUNTRIES.length)];
    const first = r() < 0.6 ? BENCH_INTERESTS[Math.floor(r() * BENCH_INTERESTS.length)] : '';
    const second = first && r() < 0.4 ? BENCH_INTERESTS[Math.floor(r() * BENCH_INTERESTS.length)] : '';
    chunk += `b${String(i).padStart(8, '0')},${channel},${address},${r() < 0.05 ? 'ALL' : 'NONE'},${country},City${i % 500},${r() < 0.5 ? 'ios' : 'android'},en_US,user-${Math.floor(i / 2)},Name${i % 1000},${first},${second},${Math.floor(r() * 100)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return fs.statSync(file).size;
}
