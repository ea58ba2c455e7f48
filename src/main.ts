/**
 * The composition root: the one file that builds every store, service, worker and route and wires them
 * together. Everything else receives what it needs as arguments.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'kysely';
import { Authenticator } from './app/apps/authenticator.js';
import { CampaignRunner } from './app/campaigns/campaign-runner.js';
import { ChannelDirectory } from './app/channels/channel-directory.js';
import { Coalescer } from './app/coalescer.js';
import { DeliveryEngine } from './app/delivery/delivery-engine.js';
import { createInboxSink } from './app/delivery/inbox-sink.js';
import { createProviderIdCodec } from './app/delivery/provider-id-codec.js';
import { createRecipientHasher } from './app/delivery/recipient-hasher.js';
import { type SendMessageDeps, type SendRequest, sendMessage } from './app/delivery/send-message.js';
import { configureDemoChannels } from './app/demo/configure-demo-channels.js';
import { type DemoApp, ensureDemoApp } from './app/demo/ensure-demo-app.js';
import { upsertFollower } from './app/endpoints/upsert-follower.js';
import { EventPublisher } from './app/events/event-publisher.js';
import { IMPORT_LEASE_MS, ImportRunner } from './app/imports/import-runner.js';
import { CHANNEL_PROVIDERS } from './channels/registry.js';
import type { HeraldConfig } from './config/load-config.js';
import type { ChannelType } from './domain/channel-type.js';
import { createServer } from './http/create-server.js';
import type { HeraldFastify } from './http/herald-fastify.js';
import { appRoutes } from './http/routes/app-routes.js';
import { campaignRoutes } from './http/routes/campaign-routes.js';
import { channelRoutes } from './http/routes/channel-routes.js';
import { deliverySettingsRoutes } from './http/routes/delivery-settings-routes.js';
import { endpointRoutes } from './http/routes/endpoint-routes.js';
import { eventRoutes } from './http/routes/event-routes.js';
import { eventStreamRoutes } from './http/routes/event-stream-routes.js';
import { healthRoutes } from './http/routes/health-routes.js';
import { importRoutes } from './http/routes/import-routes.js';
import { messageRoutes } from './http/routes/message-routes.js';
import { metricsRoutes } from './http/routes/metrics-routes.js';
import { optOutRoutes } from './http/routes/opt-out-routes.js';
import { segmentRoutes } from './http/routes/segment-routes.js';
import { subscriptionRoutes } from './http/routes/subscription-routes.js';
import { templateRoutes } from './http/routes/template-routes.js';
import { webhookRoutes } from './http/routes/webhook-routes.js';
import type { Clock } from './ports/clock.js';
import type { EventBus } from './ports/event-bus.js';
import type { Logger } from './ports/logger.js';
import type { EnqueueItem } from './ports/send-queue.js';
import { createAesGcmSecretBox } from './runtime/aes-gcm-secret-box.js';
import { createLogger } from './runtime/create-logger.js';
import { createFileImportSpool } from './runtime/file-import-spool.js';
import { createInMemoryEventBus } from './runtime/in-memory-event-bus.js';
import { createPrometheusMetrics } from './runtime/prometheus-metrics.js';
import { destinationCheck } from './runtime/public-destination.js';
import { systemClock } from './runtime/system-clock.js';
import { threadedImportRows } from './runtime/threaded-import-rows.js';
import { createUlidGenerator } from './runtime/ulid-generator.js';
import { createHttpPools } from './runtime/undici-http-pools.js';
import { createSandbox, type Sandbox } from './sandbox/create-sandbox.js';
import { KyselyAppStore } from './storage/app-store.js';
import { KyselyCampaignMetrics } from './storage/campaign-metrics.js';
import { KyselyCampaignQueueControl } from './storage/campaign-queue-control.js';
import { KyselyCampaignStore } from './storage/campaign-store.js';
import { KyselyChannelStore } from './storage/channel-store.js';
import { KyselyConversationStore } from './storage/conversation-store.js';
import type { DatabaseHandle } from './storage/database.js';
import { KyselyDeliverySettingsStore } from './storage/delivery-settings-store.js';
import { KyselyEndpointStore } from './storage/endpoint-store.js';
import { KyselyEventOutbox } from './storage/event-outbox.js';
import { KyselyImportStore } from './storage/import-store.js';
import { KyselyInboundMessageStore } from './storage/inbound-message-store.js';
import { KyselyInboxStore } from './storage/inbox-store.js';
import { KyselyMessageLedger } from './storage/message-ledger.js';
import { migrateToLatest } from './storage/migrate.js';
import { openDatabase } from './storage/open-database.js';
import { createNotifyEventBus } from './storage/postgres/notify-event-bus.js';
import { KyselySegmentStore } from './storage/segment-store.js';
import { KyselySendQueue } from './storage/send-queue.js';
import { KyselySubscriptionStore } from './storage/subscription-store.js';
import { KyselyTemplateStore } from './storage/template-store.js';

export const HERALD_VERSION = '0.1.0';

/** How long requests in flight are waited for when Herald stops, before their connections are cut. */
const IN_FLIGHT_GRACE_MS = 5_000;

/** Where `serve --sandbox` mounts the provider simulators. */
export const SANDBOX_PREFIX = '/sandbox';

export interface HeraldOptions {
  readonly config: HeraldConfig;
  /**
   * `serve` runs the HTTP API (and, unless disabled, the workers); `worker` runs only the workers, and its server
   * (if it listens) answers only `/healthz`, `/readyz` and `/metrics`.
   */
  readonly role?: 'serve' | 'worker';
  /** Mount the provider sandboxes in this process (demo and tests). */
  readonly sandbox?: boolean;
  /** Create the demo app (and its sandbox channels) if it does not exist. */
  readonly demo?: boolean;
  /** An already open (and migrated) database, e.g. a test's; otherwise one is opened from the config. */
  readonly database?: DatabaseHandle;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface Herald {
  readonly config: HeraldConfig;
  readonly database: DatabaseHandle;
  readonly server: HeraldFastify;
  readonly logger: Logger;
  /** This process's id in sender leases and job claims. */
  readonly workerId: string;
  readonly demo: (DemoApp & { channels: readonly string[] }) | undefined;
  /** The mounted sandbox, with `serve --sandbox`. */
  readonly sandbox: Sandbox | undefined;
  /** Queues one message, as the send API does. */
  send(request: SendRequest): ReturnType<typeof sendMessage>;
  /** Starts listening on the configured host and port; resolves to the URL. */
  listen(): Promise<string>;
  /** The campaign scheduler of this process (runs with the workers). */
  readonly campaignRunner: CampaignRunner;
  /** Starts the background work: senders, webhook processing, subscription deliveries, maintenance. */
  startWorkers(): void;
  /** Stops taking requests, finishes or returns in-flight work, closes the database. Idempotent. */
  stop(): Promise<void>;
}

export async function createHerald(options: HeraldOptions): Promise<Herald> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const ids = createUlidGenerator();
  const publicOnly = config.outboundDestinations === 'public';
  const http = createHttpPools({ publicOnly });
  const checkDestination = destinationCheck(publicOnly);
  const secrets = createAesGcmSecretBox(config.secretKey);
  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase(config.database, {
      onError: (error) =>
        logger.warn({ err: error }, 'an idle database connection failed; the next query opens a new one'),
    }));
  if (ownsDatabase) await migrateToLatest(database);
  const workerId = `${process.pid}-${ids.next().slice(-8)}`;

  let listeningUrl: string | undefined;
  const publicUrl = () =>
    config.publicUrlConfigured ? config.publicUrl : (listeningUrl ?? config.publicUrl);

  // Stores
  const apps = new KyselyAppStore(database.db);
  const channels = new KyselyChannelStore(database.db);
  // The opt-out list is keyed by the ledger's recipient hash.
  const hasher = createRecipientHasher(config.secretKey);
  const endpoints = new KyselyEndpointStore(database.db, database.dialect, hasher);
  const segments = new KyselySegmentStore(database.db, database.dialect, clock);
  const imports = new KyselyImportStore(database.db);
  const importSpool = createFileImportSpool(config.dataDir);
  const importRunner = new ImportRunner({
    imports,
    endpoints,
    segments,
    spool: importSpool,
    clock,
    logger,
    leaseMs: IMPORT_LEASE_MS,
    readRows: threadedImportRows(),
  });
  const inbox = new KyselyInboxStore(database.db, database.dialect);
  const providerIds = createProviderIdCodec(config.secretKey, secrets);
  const queue = new KyselySendQueue(database.db, database.dialect, providerIds);
  const ledger = new KyselyMessageLedger(database.db, database.dialect, providerIds);
  const conversations = new KyselyConversationStore(database.db);
  const inboundMessages = new KyselyInboundMessageStore(database.db);
  const deliverySettings = new KyselyDeliverySettingsStore(database.db);
  const subscriptions = new KyselySubscriptionStore(database.db);
  const outbox = new KyselyEventOutbox(database.db, database.dialect);
  const templates = new KyselyTemplateStore(database.db);
  const campaignStore = new KyselyCampaignStore(database.db);
  const campaignMetrics = new KyselyCampaignMetrics(database.db);
  const campaignControl = new KyselyCampaignQueueControl(database.db);
  const authenticator = new Authenticator({ apps, clock, adminToken: config.adminToken });

  const sandbox = options.sandbox
    ? createSandbox({ clock, http, publicUrl: () => `${publicUrl()}${SANDBOX_PREFIX}` })
    : undefined;
  // The mounted sandbox signs SNS messages with a certificate it serves itself.
  const snsCertHosts = sandbox
    ? [...config.snsCertHosts, '127.0.0.1', 'localhost', new URL(config.publicUrl).hostname]
    : config.snsCertHosts;

  const directory = new ChannelDirectory({
    channels,
    secrets,
    providers: CHANNEL_PROVIDERS,
    adapterDeps: { http, clock, logger, customFunctions: config.customFunctions, snsCertHosts },
    publicUrl,
    clock,
  });

  // Events and metrics
  const bus: EventBus =
    database.dialect === 'postgres'
      ? await createNotifyEventBus({
          url: config.database.url,
          // One channel per database and schema: tests share a database in separate schemas.
          channel: `herald_events_${createHash('sha256').update(config.database.url).digest('hex').slice(0, 12)}`,
          logger,
        })
      : createInMemoryEventBus();
  const events = new EventPublisher({ subscriptions, outbox, bus, ids, clock });
  let depthCache: { at: number; value: Awaited<ReturnType<typeof queue.depth>> } | undefined;
  const { metrics, registry } = createPrometheusMetrics({
    async queueDepth() {
      const now = clock.now();
      if (!depthCache || now - depthCache.at > 1_000) depthCache = { at: now, value: await queue.depth(now) };
      return depthCache.value;
    },
    inboxBacklog: () => inbox.backlog(clock.now()),
  });

  // Delivery
  let engine: DeliveryEngine | undefined;
  const findLocale = async (appId: string, channelType: ChannelType, address: string) =>
    (await endpoints.findByAddress(appId, channelType, address))[0]?.demographic.locale;
  const enqueuer = new Coalescer((items: EnqueueItem[]) => queue.enqueue(items), {
    maxBatch: 500,
    linger: true,
  });
  const enqueue = (item: EnqueueItem) => enqueuer.submit(item);
  const sendDeps: SendMessageDeps = {
    directory,
    enqueue,
    conversations,
    settings: deliverySettings,
    hasher,
    clock,
    ids,
    holdSeconds: config.delivery.holdTimeSeconds,
    findLocale,
    wake: (senderKey) => engine?.wake(senderKey),
    findIdempotent: (appId, key) => ledger.findByIdempotencyKey(appId, key),
  };
  const send = (request: SendRequest) => sendMessage(sendDeps, request);
  engine = new DeliveryEngine({
    runner: { queue, channels, directory, events, metrics, clock, logger, random: Math.random, endpoints },
    inbox: {
      inbox,
      ledger,
      queue,
      conversations,
      inboundMessages,
      settings: deliverySettings,
      channels,
      directory,
      audience: {
        findByAddress: (appId, channelType, address) => endpoints.findByAddress(appId, channelType, address),
        setOptOut: (appId, channelType, address, optOut, at, changeEvents) =>
          endpoints.setOptOut(appId, channelType, address, optOut, at, changeEvents),
        touchActivity: (appId, endpointIds, at) => endpoints.touchActivity(appId, endpointIds, at),
        upsertFollower: (appId, input) => upsertFollower({ endpoints, ids }, appId, input),
      },
      events,
      hasher,
      metrics,
      clock,
      ids,
      logger,
      send,
      options: {
        markRead: config.delivery.markRead,
        stopKeywords: config.delivery.stopKeywords.map((k) => k.toUpperCase()),
        startKeywords: config.delivery.startKeywords.map((k) => k.toUpperCase()),
        holdSeconds: config.delivery.holdTimeSeconds,
        unmatchedStatusRetryMs: 5 * 60_000,
        // How long a crashed process's webhook events wait before another takes them over; a batch takes well
        // under a second, and events too close to their lease's end are left to be claimed from the table.
        leaseMs: 15_000,
        batchSize: 500,
      },
    },
    deliverer: { outbox, subscriptions, secrets, http, clock, logger, metrics, random: Math.random },
    maintenance: {
      queue,
      ledger,
      inbox,
      outbox,
      inboundMessages,
      conversations,
      settings: deliverySettings,
      events,
      clock,
      options: {
        ledgerRetentionDays: config.delivery.ledgerRetentionDays,
        inboundRetentionDays: config.delivery.inboundRetentionDays,
        inboxRetentionDays: config.delivery.inboxRetentionDays,
      },
    },
    consent: { enqueue, conversations, clock, ids, findLocale },
    settings: deliverySettings,
    directory,
    logger,
    options: {
      workerId,
      batchSize: config.delivery.batchSize,
      maxInFlight: config.delivery.maxInFlight,
      jobLeaseMs: config.delivery.jobLeaseMs,
      senderLeaseMs: config.delivery.senderLeaseMs,
      maxAttempts: config.delivery.maxAttempts,
      retryBaseMs: config.delivery.retryBaseMs,
      retryMaxMs: 5 * 60_000,
      pollMs: 250,
      idleMs: 30_000,
      flushMs: 10,
      claimLingerMs: 5,
      discoveryMs: 500,
      inboxIdleMs: 100,
      eventsIdleMs: 250,
      maintenanceMs: 5_000,
      holdSeconds: config.delivery.holdTimeSeconds,
    },
  });
  const campaignRunner = new CampaignRunner({
    campaigns: campaignStore,
    segments,
    templates,
    metrics: campaignMetrics,
    control: campaignControl,
    queue,
    directory,
    hasher,
    ids,
    clock,
    logger,
    wake: (senderKey) => engine?.wake(senderKey),
    options: {
      workerId,
      pageSize: 1_000,
      leaseMs: 30_000,
      sliceMs: 1_000,
      idleMs: 250,
      completionCheckMs: 1_000,
    },
  });
  const campaignDeps = {
    campaigns: campaignStore,
    segments,
    templates,
    channels,
    secrets,
    directory,
    checkDestination,
    control: campaignControl,
    ids,
    clock,
    wake: () => campaignRunner.wake(),
  };
  const inboxSink = createInboxSink({
    inbox,
    ids,
    now: () => clock.now(),
    local: engine.localInbox,
    onStored: (count) => {
      if (count > 0) engine?.wakeInbox();
    },
    // SQLite writes one statement at a time on one connection; PostgreSQL overlaps a commit with the next write.
    writesInFlight: database.dialect === 'postgres' ? 2 : 1,
  });

  let stopping = false;
  // Health and metrics are all a `worker` serves (when asked to listen): its counters of sends, statuses and
  // deliveries exist only in its own process.
  const operationsRoutes = [
    healthRoutes({
      ping: async () => {
        await sql`select 1`.execute(database.db);
      },
      stopping: () => stopping,
    }),
    metricsRoutes({ registry }),
  ];
  const server = await createServer({
    logger,
    authenticator,
    bodyLimitBytes: config.bodyLimitBytes,
    publicUrl: config.publicUrl,
    version: HERALD_VERSION,
    routes:
      options.role === 'worker'
        ? operationsRoutes
        : [
            ...operationsRoutes,
            appRoutes({ apps, clock, ids, authenticator }),
            endpointRoutes({ endpoints, clock }),
            optOutRoutes({ endpoints, events, clock }),
            segmentRoutes({ segments, ids, clock, campaigns: campaignStore }),
            importRoutes({
              imports,
              segments,
              spool: importSpool,
              runner: importRunner,
              ids,
              clock,
              limitBytes: config.importLimitBytes,
              leaseMs: IMPORT_LEASE_MS,
            }),
            channelRoutes({
              channels,
              secrets,
              directory,
              clock,
              checkDestination,
              providers: CHANNEL_PROVIDERS,
              publicUrl,
            }),
            webhookRoutes({
              directory,
              inbound: {
                async accept(batch) {
                  await inboxSink.accept(batch);
                  metrics.webhookEvents(batch.senderKey.split(':')[0] ?? 'unknown', batch.events.length);
                },
              },
              clock,
              publicUrl,
              bodyLimitBytes: config.bodyLimitBytes,
            }),
            messageRoutes({
              send,
              ledger,
              lastStatus: (appId, channelId) => directory.lastStatus(appId, channelId),
            }),
            deliverySettingsRoutes({ settings: deliverySettings, clock }),
            subscriptionRoutes({ subscriptions, secrets, events, ids, clock, checkDestination }),
            eventStreamRoutes({ bus }),
            templateRoutes({ templates, campaigns: campaignStore, endpoints, directory, ids, clock }),
            campaignRoutes({ ...campaignDeps, metrics: campaignMetrics }),
            eventRoutes({
              endpoints,
              campaigns: campaignStore,
              runner: campaignRunner,
              ids,
              clock,
              logger,
              workerId,
              leaseMs: 30_000,
            }),
          ],
  });
  if (sandbox) await server.register(sandbox.plugin, { prefix: SANDBOX_PREFIX });
  // Uploads are spooled by the process that received them; a worker has none of them, and taking over a crashed
  // server's import would only fail it while that server could still come back to its file.
  if (options.role !== 'worker') await importRunner.resume();

  let demo: Herald['demo'];
  if (options.demo) {
    const app = await ensureDemoApp({ apps, clock, ids, fs, dataDir: config.dataDir });
    const configured = sandbox
      ? await configureDemoChannels(
          { channels, secrets, directory, clock, publicUrl },
          { appId: app.appId, sandboxes: sandbox.providers },
        )
      : [];
    demo = { ...app, channels: configured };
  }

  let stopped: Promise<void> | undefined;
  return {
    config,
    database,
    server,
    logger,
    workerId,
    demo,
    sandbox,
    campaignRunner,
    send,
    async listen() {
      await server.listen({ host: config.host, port: config.port });
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      listeningUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
      return listeningUrl;
    },
    startWorkers() {
      engine?.start();
      campaignRunner.start();
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // /readyz answers 503 from here on, and the server keeps listening (and answering) while requests in
        // flight finish, and for HERALD_SHUTDOWN_DRAIN_MS at least: a load balancer's probe gets the 503 that tells
        // it to stop routing here. Closed at once, the probe's connection was refused while requests drained.
        if (server.server.listening)
          await server.heraldInFlight.drained({ minMs: config.shutdownDrainMs, graceMs: IN_FLIGHT_GRACE_MS });
        // Requests still in flight get a few seconds to finish; then their connections are cut, so a stuck client
        // cannot hold the shutdown (and the workers' hand-back of their jobs) forever.
        const forceClose = setTimeout(() => server.server.closeAllConnections(), IN_FLIGHT_GRACE_MS);
        await server.close();
        clearTimeout(forceClose);
        await campaignRunner.stop();
        await importRunner.stop();
        await engine?.stop();
        sandbox?.close();
        await directory.close();
        await bus.close();
        await http.close();
        if (ownsDatabase) await database.close();
      })();
      return stopped;
    },
  };
}
