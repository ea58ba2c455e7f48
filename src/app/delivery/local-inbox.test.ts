import { describe, expect, it } from 'vitest';
import type { InboxEntry } from '../../ports/inbox-store.js';
import { LocalInbox } from './local-inbox.js';

const entry = (id: string): InboxEntry => ({
  id,
  appId: 'app1',
  channelId: 'wa',
  senderKey: 'whatsapp-cloud:1',
  event: { type: 'status', eventId: id, occurredAt: 1, providerMessageId: 'wamid.1', status: 'read' },
  receivedAt: 1,
  attempts: 1,
});

describe('LocalInbox', () => {
  it('leases nothing until its processor runs, nor past its capacity', () => {
    const local = new LocalInbox({ leaseMs: 1_000, capacity: 3, marginMs: 100 });
    expect(local.lease(1, 0)).toBeUndefined();
    local.start();
    expect(local.lease(3, 0)).toBe(1_000);
    local.push([entry('a'), entry('b')], 1_000);
    expect(local.lease(2, 0)).toBeUndefined();
    expect(local.lease(1, 0)).toBe(1_000);
  });

  it('hands events over oldest first and leaves those whose lease is nearly over to the table', () => {
    const local = new LocalInbox({ leaseMs: 1_000, capacity: 10, marginMs: 100 });
    local.start();
    local.push([entry('a'), entry('b')], 1_000);
    local.push([entry('c')], 2_000);
    expect(local.take(10, 950).map((e) => e.id)).toEqual(['c']);
    expect(local.size).toBe(0);
    local.push([entry('d'), entry('e'), entry('f')], 3_000);
    expect(local.take(2, 0).map((e) => e.id)).toEqual(['d', 'e']);
    expect(local.stop()).toEqual(['f']);
    local.push([entry('g')], 3_000);
    expect(local.size).toBe(0);
  });
});
