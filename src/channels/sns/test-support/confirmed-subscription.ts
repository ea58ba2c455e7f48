import { jsonRequest } from '../../../../test/helpers/json-request.js';

/**
 * Waits (on real I/O, with a deadline) until the endpoint has confirmed its SNS subscription in an AWS sandbox
 * (`<sandbox>/<provider>`); asking again re-sends the confirmation of a pending subscription.
 */
export async function confirmedSubscription(base: string, topicArn: string, endpoint: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const answer = await jsonRequest(`${base}/_control/subscriptions`, { body: { topicArn, endpoint } });
    if ((answer.json as { confirmed?: boolean }).confirmed) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the SNS subscription was never confirmed');
}
