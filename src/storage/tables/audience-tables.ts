/**
 * Endpoints, the opt-out list, segments and imports. Channel, status, opt-out, user id, location and demographic are
 * columns of their own (segments filter on them); attributes, metrics and user attributes are JSON (text on SQLite,
 * jsonb on PostgreSQL), evaluated in SQL by the dialect's `audience-sql.ts`. Times are milliseconds since the epoch.
 */
export interface AudienceTables {
  endpoints: {
    app_id: string;
    id: string;
    channel_type: string;
    address: string;
    /** 1 ACTIVE, 0 INACTIVE. */
    active: number;
    /** 1 when opted out (ALL). */
    opt_out: number;
    effective_date: string | null;
    request_id: string | null;
    user_id: string | null;
    country: string | null;
    city: string | null;
    region: string | null;
    postal_code: string | null;
    latitude: number | null;
    longitude: number | null;
    locale: string | null;
    timezone: string | null;
    platform: string | null;
    platform_version: string | null;
    make: string | null;
    model: string | null;
    model_version: string | null;
    app_version: string | null;
    /** JSON object: name -> string[]. */
    attributes: unknown;
    /** JSON object: name -> number. */
    metrics: unknown;
    /** JSON object: name -> string[]. */
    user_attributes: unknown;
    /**
     * JSON object: name -> epoch ms of the attribute values that read as ISO 8601 instants, or null when there
     * are none. Derived on write so that BEFORE/AFTER/ON/BETWEEN compare numbers on both databases.
     */
    attribute_times: unknown;
    user_attribute_times: unknown;
    last_active_at: number | null;
    created_at: number;
    updated_at: number;
  };
  /** The per-app attribute-key quota's ledger: every (kind, name) ever written. */
  endpoint_attribute_keys: {
    app_id: string;
    kind: string;
    name: string;
  };
  /**
   * The app's opt-out list: who opted out (STOP, LINE unfollow, a provider's opt-out) by channel type, whether or not
   * an endpoint had the address, until they opt back in. No address: the recipient hash the ledger uses.
   */
  opt_out_list: {
    app_id: string;
    channel_type: string;
    /** `RecipientHasher(channel_type, address)`: keyed, so the list cannot be read back into phone numbers. */
    recipient_hash: string;
    /** The first opt-out since the address was last opted in. */
    opted_out_at: number;
  };
  segments: {
    app_id: string;
    id: string;
    version: number;
    name: string;
    segment_type: string;
    /** JSON: `{dimensions?, segmentGroups?}`. */
    definition: unknown;
    import_id: string | null;
    created_at: number;
    updated_at: number;
  };
  /** Members of IMPORT segments. */
  segment_members: {
    app_id: string;
    segment_id: string;
    endpoint_id: string;
  };
  imports: {
    app_id: string;
    id: string;
    format: string;
    status: string;
    segment_id: string | null;
    segment_name: string | null;
    size_bytes: number;
    bytes_read: number;
    rows_read: number;
    processed: number;
    failed: number;
    /** JSON array of the first row errors. */
    errors: unknown;
    failure_reason: string | null;
    lease_until: number | null;
    created_at: number;
    updated_at: number;
    completed_at: number | null;
  };
}
