/** Where a provider must send a channel's webhooks. */
export function webhookUrl(publicUrl: string, appId: string, channelId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/webhooks/${encodeURIComponent(appId)}/${encodeURIComponent(channelId)}`;
}
