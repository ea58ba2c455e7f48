export interface ChannelTables {
  channels: {
    app_id: string;
    id: string;
    provider: string;
    channel_type: string;
    /** JSON object. */
    sender: string;
    /** JSON object. */
    options: string;
    messages_per_second: number;
    sender_key: string;
    sealed_credentials: string;
    created_at: number;
    updated_at: number;
  };
}
