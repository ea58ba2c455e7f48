import { describe, expect, it } from 'vitest';
import { allowedFrom, canTransition, type MessageStatus } from './message-status.js';

describe('message status transitions', () => {
  it('moves forward through the delivery statuses', () => {
    const path: MessageStatus[] = ['queued', 'sent_for_delivery', 'sent', 'delivered', 'read'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition('sent', 'read')).toBe(true);
  });

  it('never goes back: a late delivered does not overwrite read, a duplicate changes nothing', () => {
    expect(canTransition('read', 'delivered')).toBe(false);
    expect(canTransition('delivered', 'sent')).toBe(false);
    expect(canTransition('delivered', 'delivered')).toBe(false);
    expect(canTransition('read', 'failed')).toBe(false);
    expect(canTransition('delivered', 'failed')).toBe(false);
  });

  it('lets a delivered or read correct a failed, but nothing revives an expired or cancelled message', () => {
    expect(canTransition('failed', 'delivered')).toBe(true);
    expect(canTransition('failed', 'read')).toBe(true);
    expect(canTransition('failed', 'sent_for_delivery')).toBe(false);
    expect(canTransition('failed', 'sent')).toBe(false);
    expect(canTransition('expired', 'read')).toBe(false);
    expect(canTransition('cancelled', 'sent')).toBe(false);
    expect(allowedFrom('expired')).toEqual(['queued', 'awaiting_window']);
  });

  it('holds and releases around the 24-hour window', () => {
    expect(canTransition('queued', 'awaiting_window')).toBe(true);
    expect(canTransition('sent_for_delivery', 'awaiting_window')).toBe(true);
    expect(canTransition('awaiting_window', 'queued')).toBe(true);
    expect(canTransition('sent', 'awaiting_window')).toBe(true);
    expect(canTransition('delivered', 'awaiting_window')).toBe(false);
  });
});
