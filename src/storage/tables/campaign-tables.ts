/** Templates, campaigns and their runs. No table here holds an address: messages live in the ledger. */
export interface CampaignTables {
  templates: {
    app_id: string;
    id: string;
    version: number;
    name: string;
    /** whatsapp | message */
    kind: string;
    /** JSON of the TemplateDefinition. */
    definition: unknown;
    created_at: number;
    updated_at: number;
  };
  campaigns: {
    app_id: string;
    id: string;
    version: number;
    name: string;
    segment_id: string;
    /** ONCE | HOURLY | ... | EVENT, also inside `definition`: the event route finds EVENT campaigns by it. */
    frequency: string;
    /** JSON of the CampaignDefinition. */
    definition: unknown;
    state: string;
    next_run_at: number | null;
    runs: number;
    /** Ids of the templates the treatments use, space-separated, for "is this template in use". */
    template_ids: string;
    created_at: number;
    updated_at: number;
  };
  /** One row per message of a campaign that has daily or total limits, for counting them per endpoint. */
  campaign_endpoint_sends: {
    campaign_id: string;
    endpoint_id: string;
    activity_id: string;
    created_at: number;
  };
  campaign_activities: {
    id: string;
    app_id: string;
    campaign_id: string;
    campaign_version: number;
    /** run:<n> | event:<id>; unique per campaign, so a run is created once by however many workers. */
    trigger_key: string;
    trigger: string;
    state: string;
    scheduled_start: number;
    started_at: number | null;
    ended_at: number | null;
    fan_out_done: number;
    cursor: string | null;
    /** JSON of the FanOutProgress. */
    progress: unknown;
    lease_holder: string | null;
    lease_until: number | null;
    paused_at: number | null;
    created_at: number;
    updated_at: number;
  };
}
