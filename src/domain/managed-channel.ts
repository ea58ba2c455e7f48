/**
 * The custom channel a campaign manages for a treatment's `deliveryUri` or `functionName`: it holds that
 * campaign's receiver and the headers sealed for it, so it carries the campaign's messages and nothing else.
 * Its id is derived from the campaign's (a ULID, see `IdGenerator`) and the treatment's ("0".."4"), so the id
 * alone says whether a channel is one: the channels API keeps these ids for campaigns.
 *
 * @example
 * managedChannelId('01JD3X8M2K4Q7R9S5T6V8W0Y1Z', '1'); // 'campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-1'
 * isManagedChannelId('campaign-01jd3x8m2k4q7r9s5t6v8w0y1z-1'); // true
 * isManagedChannelId('campaign-spring-1'); // false: an app may name its own channels so
 */
export function managedChannelId(campaignId: string, treatmentId: string): string {
  return `campaign-${campaignId}-${treatmentId}`.toLowerCase();
}

/** Every id a campaign's managed channels can have, one per possible treatment ("0".."4"). */
export function managedChannelIds(campaignId: string): string[] {
  return ['0', '1', '2', '3', '4'].map((treatmentId) => managedChannelId(campaignId, treatmentId));
}

const MANAGED_CHANNEL_ID = /^campaign-[0-9a-z]{26}-[0-4]$/;

export function isManagedChannelId(channelId: string): boolean {
  return MANAGED_CHANNEL_ID.test(channelId);
}
