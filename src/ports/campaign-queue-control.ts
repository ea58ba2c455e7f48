/**
 * What a campaign does to its messages still in the queue: pause them (their jobs are not claimed), resume them,
 * or end them (cancelled by the user, or expired after `maximumDuration`). Works on one activity at a time;
 * messages a worker already claimed are sent.
 *
 * Leaves out: enqueueing (the send queue) and everything after a message left the queue.
 *
 * @example
 * await control.pause('act-1', now);
 * await control.resume('act-1', pausedForMs); // their send times move on by the pause
 * const ended = await control.end('act-1', 'cancelled', { code: 'HERALD_CAMPAIGN_CANCELLED', message: 'cancelled' }, now);
 */
export interface CampaignQueueControl {
  /** Pauses the jobs no live worker holds; returns how many. */
  pause(activityId: string, now: number): Promise<number>;
  /**
   * Makes the paused jobs claimable again, each send time moved `shiftMs` later, so the campaign's pace and quiet
   * hours still hold after the pause. Returns how many.
   */
  resume(activityId: string, shiftMs: number): Promise<number>;
  /** Ends the activity's unsent messages with `status` and the error; deletes their jobs. Returns how many. */
  end(
    activityId: string,
    status: 'cancelled' | 'expired',
    error: { code: string; message: string },
    now: number,
  ): Promise<number>;
}
