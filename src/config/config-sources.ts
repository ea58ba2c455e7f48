/**
 * Where each setting comes from. Environment variables win over `herald.config.json`; the file uses the
 * setting names (camelCase, `delivery.holdTimeSeconds`). Kept apart from the schema so that an error can name
 * the variable the operator actually set.
 */
export const ENV_VARS: Readonly<Record<string, string>> = {
  databaseUrl: 'HERALD_DATABASE_URL',
  dataDir: 'HERALD_DATA_DIR',
  sqliteCacheMb: 'HERALD_SQLITE_CACHE_MB',
  host: 'HERALD_HOST',
  port: 'HERALD_PORT',
  publicUrl: 'HERALD_PUBLIC_URL',
  outboundDestinations: 'HERALD_OUTBOUND_DESTINATIONS',
  adminToken: 'HERALD_ADMIN_TOKEN',
  secretKey: 'HERALD_SECRET_KEY',
  apiKey: 'HERALD_API_KEY',
  logLevel: 'HERALD_LOG_LEVEL',
  bodyLimitBytes: 'HERALD_BODY_LIMIT',
  importLimitBytes: 'HERALD_IMPORT_LIMIT',
  snsCertHosts: 'HERALD_SNS_CERT_HOSTS',
  shutdownDrainMs: 'HERALD_SHUTDOWN_DRAIN_MS',
  'delivery.holdTimeSeconds': 'HERALD_HOLD_TIME_SECONDS',
  'delivery.ledgerRetentionDays': 'HERALD_LEDGER_RETENTION_DAYS',
  'delivery.inboundRetentionDays': 'HERALD_INBOUND_RETENTION_DAYS',
  'delivery.inboxRetentionDays': 'HERALD_INBOX_RETENTION_DAYS',
  'delivery.maxAttempts': 'HERALD_MAX_ATTEMPTS',
  'delivery.markRead': 'HERALD_MARK_READ',
  'delivery.stopKeywords': 'HERALD_STOP_KEYWORDS',
  'delivery.startKeywords': 'HERALD_START_KEYWORDS',
  'delivery.workers': 'HERALD_WORKERS',
  'delivery.jobLeaseMs': 'HERALD_JOB_LEASE_MS',
  'delivery.senderLeaseMs': 'HERALD_SENDER_LEASE_MS',
  'delivery.maxInFlight': 'HERALD_MAX_IN_FLIGHT',
  'delivery.batchSize': 'HERALD_BATCH_SIZE',
  'delivery.retryBaseMs': 'HERALD_RETRY_BASE_MS',
};

/** The variable that names the config file itself. */
export const CONFIG_FILE_VAR = 'HERALD_CONFIG';
export const DEFAULT_CONFIG_FILE = 'herald.config.json';
