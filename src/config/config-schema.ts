import { z } from 'zod';

// Digits, not anything Number() reads: a blank HERALD_PORT became 0, a random port.
const PORT_MESSAGE = 'must be a port number, 0 to 65535';
const port = z
  .union(
    [z.number(), z.string().trim().regex(/^\d+$/, PORT_MESSAGE).transform(Number)],
    // A union's own message: without it a failed one says only "Invalid input".
    { message: PORT_MESSAGE },
  )
  .pipe(z.number().int().min(0, PORT_MESSAGE).max(65535, PORT_MESSAGE));
const positiveInt = z.coerce.number().int().positive();
/** Milliseconds that feed a timer: at most a day (Node turns a delay past 24.8 days into 1 ms). */
const timerMs = positiveInt.max(86_400_000, 'must be at most 86400000 (a day)');
const boolish = z.union(
  [z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')],
  { message: 'must be true, false, 1 or 0' },
);
const list = z.union([
  z.array(z.string()),
  z.string().transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
]);

const databaseUrl = z
  .string()
  .min(1)
  .refine(
    (v) =>
      (v.startsWith('sqlite:') && v.slice('sqlite:'.length).trim() !== '') ||
      v.startsWith('postgres://') ||
      v.startsWith('postgresql://'),
    { message: 'must be sqlite:<path> or postgres://user@host:port/database' },
  );

/**
 * Every setting Herald reads, with its default. `config-sources.ts` says which environment variable or
 * `herald.config.json` key feeds each one.
 */
export const configSchema = z.strictObject({
  databaseUrl: databaseUrl.default('sqlite:./data/herald.db'),
  dataDir: z.string().min(1).default('./data'),
  /**
   * SQLite's page cache in MiB. 64 keeps a million-endpoint import and segment estimates fast; 16 saves about
   * 50 MB of resident memory for a small deployment.
   */
  sqliteCacheMb: positiveInt.default(64),
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(3000),
  /** Public base URL of this Herald, used to build webhook URLs given to providers. Defaults to http://host:port. */
  publicUrl: z.url().optional(),
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  secretKey: z.string().min(16, 'must be at least 16 characters').optional(),
  /** The API key CLI commands that call a running Herald (`herald import`) send; the admin token otherwise. */
  apiKey: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest JSON request body, in bytes. Larger ones get 413. */
  bodyLimitBytes: positiveInt.default(1_048_576),
  /** Largest import upload (CSV or NDJSON), in bytes. */
  importLimitBytes: positiveInt.default(1_073_741_824),
  /**
   * Where Herald may connect when it calls a URL an app configured (channel base URLs and delivery URIs,
   * subscriptions): `any`, or `public` to refuse loopback, private, link-local and other internal addresses.
   * The sandbox providers run on loopback, so `public` is for production.
   */
  outboundDestinations: z.enum(['any', 'public']).default('any'),
  /**
   * How long a stopping Herald keeps listening, answering /readyz with 503 and everything else as usual, so that a
   * load balancer's probe sees it is going and stops routing here before the port closes. It also waits (5 s at
   * most past this) for requests in flight; 0 waits for them only.
   */
  shutdownDrainMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(300_000, 'must be at most 300000 (5 minutes)')
    .default(0),
  /** Hosts an SNS SigningCertURL may point at; the sandbox host is added when the sandbox is mounted. */
  snsCertHosts: list.default(['sns.*.amazonaws.com', 'sns.*.amazonaws.com.cn']),
  /** Pinpoint custom-channel functions an administrator allows campaigns to call: name -> module path. */
  customFunctions: z.record(z.string().min(1), z.string().min(1)).default({}),
  delivery: z
    .strictObject({
      /** How long a free-form WhatsApp message waits for the 24-hour window before it expires. */
      holdTimeSeconds: positiveInt.min(60).max(604_800, 'must be at most 604800 (7 days)').default(7200),
      ledgerRetentionDays: positiveInt.default(365),
      inboundRetentionDays: positiveInt.default(30),
      /** Processed webhook events (a digest of their id) are kept this long to recognise a provider's redeliveries. */
      inboxRetentionDays: positiveInt.default(7),
      maxAttempts: positiveInt.default(8),
      markRead: boolish.default(true),
      stopKeywords: list.default(['STOP', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'STOPALL']),
      startKeywords: list.default(['START', 'UNSTOP', 'SUBSCRIBE']),
      workers: boolish.default(true),
      /** How long a claimed send stays with its worker; a worker that dies gives its sends back after this. */
      jobLeaseMs: timerMs.default(60_000),
      /** How long a sender stays with a worker that stopped renewing its lease. */
      senderLeaseMs: timerMs.default(10_000),
      /** Provider calls in flight per sender. */
      maxInFlight: positiveInt.default(256),
      /** Jobs claimed, and outcomes written, at once. */
      batchSize: positiveInt.default(500),
      /** First retry delay after a retryable failure; it doubles with each attempt (with jitter), up to 5 minutes. */
      retryBaseMs: timerMs.default(1_000),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
