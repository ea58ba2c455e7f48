import type { Generated } from 'kysely';

/**
 * The delivery engine's tables. No table here holds a phone number or a LINE user id except `jobs.payload`,
 * and a job is deleted when its message reaches a final state.
 */
export interface DeliveryTables {
  /** The ledger: one row per outbound message. The recipient is a keyed hash. */
  messages: {
    id: string;
    app_id: string;
    channel_id: string;
    channel_type: string;
    sender_key: string;
    recipient_hash: string;
    endpoint_id: string | null;
    /** api | campaign | console | consent | notice */
    source: string;
    content_kind: string;
    template_name: string | null;
    status: string;
    /**
     * The provider's message id: its keyed digest when the id carries the recipient's address (ProviderIdCodec),
     * the id itself otherwise.
     */
    provider_message_id: string | null;
    /**
     * The id sealed with the secret key when it carries the address; '' when `provider_message_id` is the id itself;
     * null in rows from before migration 0007, not sealed yet.
     */
    provider_ref: string | null;
    error_code: string | null;
    error_message: string | null;
    attempts: number;
    campaign_id: string | null;
    activity_id: string | null;
    treatment_id: string | null;
    idempotency_key: string | null;
    /** SHA-256 of the request, to tell a repeated Idempotency-Key with another body. */
    request_hash: string | null;
    /** When a held message expires. */
    hold_until: number | null;
    created_at: number;
    updated_at: number;
  };
  /** Every transition of every message, with its time. */
  message_events: {
    seq: Generated<number>;
    message_id: string;
    at: number;
    status: string;
    error_code: string | null;
  };
  /** Work to do: sends (partitioned by sender) and subscription deliveries. */
  jobs: {
    id: string;
    queue: string;
    partition_key: string;
    /** ready | held (awaiting the 24-hour window) */
    state: string;
    message_id: string | null;
    recipient_hash: string | null;
    /** JSON; for sends it holds the address, the only copy of it. */
    payload: string;
    run_at: number;
    locked_until: number | null;
    locked_by: string | null;
    attempts: number;
    unique_key: string | null;
    /** The provider batch this send was first made in, recorded before the call. */
    batch_key: string | null;
    created_at: number;
  };
  /** Which process holds which sender, until when. */
  sender_leases: {
    sender_key: string;
    holder: string;
    expires_at: number;
  };
  /** Per (sender, recipient): WhatsApp's window, the consent template, LINE's reply token. */
  conversations: {
    sender_key: string;
    recipient_hash: string;
    app_id: string;
    last_inbound_at: number | null;
    consent_message_id: string | null;
    consent_sent_at: number | null;
    /** 1 when held messages expired and the app's notice should go out when the user next writes. */
    notice_pending: number;
    reply_token: string | null;
    reply_token_at: number | null;
    updated_at: number;
  };
  /** Messages users sent. The body is cleared after the inbound retention. */
  inbound_messages: {
    id: string;
    app_id: string;
    channel_id: string;
    sender_key: string;
    recipient_hash: string;
    endpoint_id: string | null;
    provider_message_id: string;
    content_kind: string;
    /** JSON of the InboundContent, null once purged. */
    content: string | null;
    received_at: number;
  };
  /** Per-app settings of the delivery engine (WhatsApp consent template, hold time, notices). */
  delivery_settings: {
    app_id: string;
    /** JSON */
    settings: string;
    updated_at: number;
  };
  /** Customers' URLs that receive Herald's events. */
  subscriptions: {
    id: string;
    app_id: string;
    url: string;
    /** JSON array of event types. */
    events: string;
    sealed_secret: string;
    created_at: number;
  };
  inbox: {
    id: string;
    app_id: string;
    channel_id: string;
    sender_key: string;
    /** The provider's dedupe key: a redelivered webhook hits the unique index and changes nothing. */
    event_id: string;
    event_type: string;
    /** The parsed ChannelEvent, JSON. */
    payload: string;
    received_at: number;
    /** Null until a worker has processed it. */
    processed_at: number | null;
    locked_until: number | null;
    attempts: number;
  };
}
