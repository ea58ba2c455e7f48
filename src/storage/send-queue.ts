import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import type { MessageStatus } from '../domain/message-status.js';
import { allowedFrom } from '../domain/message-status.js';
import type { OutboxWriter } from '../ports/event-outbox.js';
import type { ProviderIdCodec } from '../ports/provider-id-codec.js';
import type {
  ClaimedJob,
  EnqueueItem,
  EnqueueResult,
  JobSettlement,
  SendJobPayload,
  SendQueue,
  StatusChange,
} from '../ports/send-queue.js';
import { BulkInsert } from './bulk-insert.js';
import type { Database, DialectName } from './database.js';
import { insertDeliveries } from './event-outbox.js';
import { lockMessageRows } from './lock-message-rows.js';
import { insertHistory } from './message-history.js';
import { PROVIDER_ID_AS_IS } from './message-ledger.js';
import { chunk, valuesCte, valuesKey } from './values-cte.js';

const SEND = 'send';
const CHUNK = 400;

// The enqueue's two wide inserts, as cached raw statements (the columns left out take their defaults: nothing is
// sent, locked or batched yet).
const MESSAGE_ROWS = new BulkInsert(
  'messages',
  [
    'id',
    'app_id',
    'channel_id',
    'channel_type',
    'sender_key',
    'recipient_hash',
    'endpoint_id',
    'source',
    'content_kind',
    'template_name',
    'status',
    'campaign_id',
    'activity_id',
    'treatment_id',
    'idempotency_key',
    'request_hash',
    'hold_until',
    'created_at',
    'updated_at',
  ],
  { onConflict: 'nothing', returning: 'id' },
);
const JOB_ROWS = new BulkInsert('jobs', [
  'id',
  'queue',
  'partition_key',
  'state',
  'message_id',
  'recipient_hash',
  'payload',
  'run_at',
  'unique_key',
  'created_at',
]);

export class KyselySendQueue implements SendQueue {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly providerIds: ProviderIdCodec,
  ) {}

  async enqueue(items: readonly EnqueueItem[]): Promise<EnqueueResult[]> {
    if (items.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const inserted = new Set<string>();
      const written = await MESSAGE_ROWS.run(
        trx,
        this.dialect,
        items.map(({ message: m }) => [
          m.id,
          m.appId,
          m.channelId,
          m.channelType,
          m.senderKey,
          m.recipientHash,
          m.endpointId ?? null,
          m.source,
          m.contentKind,
          m.templateName ?? null,
          m.status,
          m.campaignId ?? null,
          m.activityId ?? null,
          m.treatmentId ?? null,
          m.idempotencyKey ?? null,
          m.requestHash ?? null,
          m.holdUntil ?? null,
          m.createdAt,
          m.createdAt,
        ]),
      );
      for (const row of written) inserted.add(row.id as string);

      const fresh = items.filter((item) => inserted.has(item.message.id));
      // A message's history starts `queued` at its `created_at` without a row of its own (the ledger adds that
      // entry when it reads the history): one row less per message. Only another first status is a row.
      const heldAtOnce = fresh.filter((item) => item.message.status !== 'queued');
      for (const part of chunk(heldAtOnce, CHUNK)) {
        await trx
          .insertInto('message_events')
          .values(
            part.map(({ message: m }) => ({
              message_id: m.id,
              at: m.createdAt,
              status: m.status,
              error_code: null,
            })),
          )
          .execute();
      }
      await JOB_ROWS.run(
        trx,
        this.dialect,
        fresh.map(({ message: m, job }) => [
          m.id,
          SEND,
          m.senderKey,
          job.state,
          m.id,
          m.recipientHash,
          JSON.stringify(job.payload),
          job.runAt,
          job.uniqueKey ?? null,
          m.createdAt,
        ]),
      );

      const results = new Map<string, EnqueueResult>();
      for (const item of fresh)
        results.set(item.message.id, {
          messageId: item.message.id,
          status: item.message.status,
          created: true,
        });
      const skipped = items.filter((item) => !inserted.has(item.message.id));
      if (skipped.length > 0) await this.findExisting(trx, skipped, results);
      return items.map(
        (item) =>
          results.get(item.message.id) ?? {
            messageId: item.message.id,
            status: item.message.status,
            created: false,
          },
      );
    });
  }

  /** The first message of an idempotency key or of a campaign run's endpoint, for enqueues that hit one. */
  private async findExisting(
    trx: Transaction<Database>,
    skipped: readonly EnqueueItem[],
    results: Map<string, EnqueueResult>,
  ) {
    for (const item of skipped) {
      const m = item.message;
      let query = trx
        .selectFrom('messages')
        .select(['id', 'status', 'request_hash'])
        .where('app_id', '=', m.appId);
      if (m.idempotencyKey !== undefined) query = query.where('idempotency_key', '=', m.idempotencyKey);
      else if (m.activityId !== undefined && m.endpointId !== undefined) {
        query = query.where('activity_id', '=', m.activityId).where('endpoint_id', '=', m.endpointId);
      } else query = query.where('id', '=', m.id);
      const row = await query.executeTakeFirst();
      if (row) {
        results.set(m.id, {
          messageId: row.id,
          status: row.status as MessageStatus,
          created: false,
          requestHash: row.request_hash,
        });
      }
    }
  }

  async sendersWithWork(now: number): Promise<string[]> {
    const keys = await sql<{ k: string | null }>`
      WITH RECURSIVE s(k) AS (
        SELECT (SELECT min(partition_key) FROM jobs WHERE queue = ${SEND})
        UNION ALL
        SELECT (SELECT min(partition_key) FROM jobs WHERE queue = ${SEND} AND partition_key > s.k) FROM s WHERE s.k IS NOT NULL
      )
      SELECT k FROM s WHERE k IS NOT NULL`.execute(this.db);
    const ready: string[] = [];
    for (const { k } of keys.rows) {
      if (k === null) continue;
      const row = await this.db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', SEND)
        .where('partition_key', '=', k)
        .where('state', '=', 'ready')
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .limit(1)
        .executeTakeFirst();
      if (row) ready.push(k);
    }
    return ready;
  }

  async acquireLease(senderKey: string, workerId: string, now: number, ttlMs: number): Promise<boolean> {
    const row = await this.db
      .insertInto('sender_leases')
      .values({ sender_key: senderKey, holder: workerId, expires_at: now + ttlMs })
      .onConflict((oc) =>
        oc
          .column('sender_key')
          .doUpdateSet({ holder: workerId, expires_at: now + ttlMs })
          .where((eb) =>
            eb.or([eb('sender_leases.holder', '=', workerId), eb('sender_leases.expires_at', '<', now)]),
          ),
      )
      .returning('holder')
      .executeTakeFirst();
    return row?.holder === workerId;
  }

  async releaseLease(senderKey: string, workerId: string): Promise<void> {
    await this.db
      .deleteFrom('sender_leases')
      .where('sender_key', '=', senderKey)
      .where('holder', '=', workerId)
      .execute();
  }

  async claim(
    senderKey: string,
    options: { limit: number; now: number; leaseMs: number; workerId: string },
  ): Promise<ClaimedJob[]> {
    const { now } = options;
    return this.db.transaction().execute(async (trx) => {
      let candidates = trx
        .selectFrom('jobs')
        .select(['id', 'batch_key'])
        .where('queue', '=', SEND)
        .where('partition_key', '=', senderKey)
        .where('state', '=', 'ready')
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .orderBy('run_at')
        .orderBy('id')
        .limit(options.limit);
      if (this.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
      const picked = await candidates.execute();
      if (picked.length === 0) return [];
      const ids = picked.map((p) => p.id);
      const batches = [...new Set(picked.flatMap((p) => (p.batch_key ? [p.batch_key] : [])))];
      const rows = await trx
        .updateTable('jobs')
        .set((eb) => ({
          locked_until: now + options.leaseMs,
          locked_by: options.workerId,
          attempts: eb('attempts', '+', 1),
        }))
        .where((eb) => {
          const picks = eb('id', 'in', ids);
          if (batches.length === 0) return picks;
          // The rest of a batch comes back with it, whatever the limit: a batch is only ever resent whole.
          return eb.or([
            picks,
            eb.and([
              eb('partition_key', '=', senderKey),
              eb('batch_key', 'in', batches),
              eb('state', '=', 'ready'),
              eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]),
            ]),
          ]);
        })
        .returning([
          'id',
          'message_id',
          'partition_key',
          'recipient_hash',
          'payload',
          'attempts',
          'run_at',
          'batch_key',
        ])
        .execute();
      rows.sort((a, b) => a.run_at - b.run_at || (a.id < b.id ? -1 : 1));
      return rows.map((row) => ({
        id: row.id,
        messageId: row.message_id ?? row.id,
        senderKey: row.partition_key,
        recipientHash: row.recipient_hash ?? '',
        payload: JSON.parse(row.payload) as SendJobPayload,
        attempts: row.attempts,
        ...(row.batch_key ? { batchKey: row.batch_key } : {}),
      }));
    });
  }

  async assignBatch(jobIds: readonly string[], batchKey: string): Promise<void> {
    for (const part of chunk(jobIds, CHUNK)) {
      await this.db.updateTable('jobs').set({ batch_key: batchKey }).where('id', 'in', part).execute();
    }
  }

  async unclaim(jobIds: readonly string[]): Promise<void> {
    for (const part of chunk(jobIds, CHUNK)) {
      await this.db
        .updateTable('jobs')
        .set((eb) => ({ locked_until: null, locked_by: null, attempts: eb('attempts', '-', 1) }))
        .where('id', 'in', part)
        .execute();
    }
  }

  async settle(
    settlements: readonly JobSettlement[],
    now: number,
    outbox?: OutboxWriter,
  ): Promise<StatusChange[]> {
    if (settlements.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      await lockMessageRows(
        trx,
        this.dialect,
        settlements.map((s) => s.job.messageId),
      );
      const changes: StatusChange[] = [];
      const sent = settlements.filter((s) => s.kind === 'sent');
      const retries = settlements.filter((s) => s.kind === 'retry');
      const failed = settlements.filter((s) => s.kind === 'failed');
      const held = settlements.filter((s) => s.kind === 'hold');

      for (const part of chunk(sent, CHUNK)) {
        const v = valuesCte(
          'v',
          [
            ['id', 'text'],
            ['pid', 'text'],
            ['ref', 'text'],
            ['n', 'integer'],
          ],
          part.map((s) =>
            s.sealId
              ? [
                  s.job.messageId,
                  this.providerIds.digest(s.job.senderKey, s.providerMessageId),
                  this.providerIds.seal(s.providerMessageId),
                  s.job.attempts,
                ]
              : [s.job.messageId, s.providerMessageId, PROVIDER_ID_AS_IS, s.job.attempts],
          ),
        );
        await sql`WITH ${v} UPDATE messages SET provider_message_id = v.pid, provider_ref = v.ref, attempts = v.n, updated_at = ${now} FROM v WHERE messages.id = ${valuesKey(this.dialect)}`.execute(
          trx,
        );
        changes.push(...(await this.transition(trx, part, 'sent_for_delivery', now)));
        changes.push(
          ...(await this.transition(
            trx,
            part.filter((s) => s.noReceipts),
            'sent',
            now,
          )),
        );
      }

      for (const part of chunk(failed, CHUNK)) {
        await this.recordErrors(trx, part, now);
        changes.push(...(await this.transition(trx, part, 'failed', now)));
      }

      for (const part of chunk(held, CHUNK)) {
        const v = valuesCte(
          'v',
          [
            ['id', 'text'],
            ['until', 'bigint'],
          ],
          part.map((s) => [s.job.messageId, s.holdUntil]),
        );
        await sql`WITH ${v} UPDATE messages SET hold_until = v.until FROM v WHERE messages.id = ${valuesKey(this.dialect)}`.execute(
          trx,
        );
        await this.recordErrors(trx, part, now);
        changes.push(...(await this.transition(trx, part, 'awaiting_window', now)));
        await trx
          .updateTable('jobs')
          .set({ state: 'held', locked_until: null, locked_by: null })
          .where(
            'id',
            'in',
            part.map((s) => s.job.id),
          )
          .execute();
      }

      for (const part of chunk(retries, CHUNK)) {
        await this.recordErrors(trx, part, now);
        const v = valuesCte(
          'v',
          [
            ['id', 'text'],
            ['run', 'bigint'],
            ['refund', 'integer'],
          ],
          part.map((s) => [s.job.id, s.runAt, s.refundAttempt ? 1 : 0]),
        );
        await sql`WITH ${v} UPDATE jobs SET run_at = v.run, attempts = jobs.attempts - v.refund, locked_until = NULL, locked_by = NULL FROM v WHERE jobs.id = ${valuesKey(this.dialect)}`.execute(
          trx,
        );
      }

      const parked = sent.filter((s) => s.keepJob).map((s) => s.job.id);
      for (const part of chunk(parked, CHUNK)) {
        await trx
          .updateTable('jobs')
          .set({ state: 'sent', locked_until: null, locked_by: null })
          .where('id', 'in', part)
          .execute();
      }
      const done = [...sent.filter((s) => !s.keepJob), ...failed].map((s) => s.job.id);
      for (const part of chunk(done, CHUNK)) await trx.deleteFrom('jobs').where('id', 'in', part).execute();
      if (outbox && changes.length > 0) await insertDeliveries(trx, outbox(changes), now);
      return changes;
    });
  }

  private async recordErrors(
    trx: Transaction<Database>,
    settlements: readonly Extract<JobSettlement, { error: unknown }>[],
    now: number,
  ): Promise<void> {
    if (settlements.length === 0) return;
    const v = valuesCte(
      'v',
      [
        ['id', 'text'],
        ['code', 'text'],
        ['msg', 'text'],
        ['n', 'integer'],
      ],
      settlements.map((s) => [s.job.messageId, s.error.code, s.error.message.slice(0, 1000), s.job.attempts]),
    );
    await sql`WITH ${v} UPDATE messages SET error_code = v.code, error_message = v.msg, attempts = v.n, updated_at = ${now} FROM v WHERE messages.id = ${valuesKey(this.dialect)}`.execute(
      trx,
    );
  }

  /** Moves the settled jobs' messages to `to` where the current status allows it; records history for those that moved. */
  private async transition(
    trx: Transaction<Database>,
    settlements: readonly JobSettlement[],
    to: MessageStatus,
    now: number,
  ): Promise<StatusChange[]> {
    if (settlements.length === 0) return [];
    const moved = await trx
      .updateTable('messages')
      // Reaching the provider clears the errors of earlier attempts; a later failure records its own.
      .set(
        to === 'sent_for_delivery'
          ? { status: to, updated_at: now, error_code: null, error_message: null }
          : { status: to, updated_at: now },
      )
      .where(
        'id',
        'in',
        settlements.map((s) => s.job.messageId),
      )
      .where('status', 'in', [...allowedFrom(to)])
      .returning('id')
      .execute();
    if (moved.length === 0) return [];
    const movedIds = new Set(moved.map((r) => r.id));
    const changes: StatusChange[] = [];
    for (const s of settlements) {
      if (!movedIds.has(s.job.messageId)) continue;
      const error = 'error' in s ? s.error : undefined;
      changes.push({
        messageId: s.job.messageId,
        appId: s.job.payload.appId,
        channelId: s.job.payload.channelId,
        status: to,
        at: now,
        ...(error && to !== 'awaiting_window' ? { error } : {}),
        ...(s.job.payload.campaign ? { campaignId: s.job.payload.campaign.campaignId } : {}),
        ...(s.job.payload.endpointId ? { endpointId: s.job.payload.endpointId } : {}),
      });
    }
    await insertHistory(
      trx,
      this.dialect,
      changes.map((c) => ({
        message_id: c.messageId,
        at: now,
        status: to,
        error_code: c.error?.code ?? null,
      })),
    );
    return changes;
  }

  releaseHeld(
    senderKey: string,
    recipientHash: string,
    now: number,
    outbox?: OutboxWriter,
  ): Promise<StatusChange[]> {
    return this.endHold(senderKey, recipientHash, now, 'queued', undefined, outbox);
  }

  cancelHeld(
    senderKey: string,
    recipientHash: string,
    error: { readonly code: string; readonly message: string },
    now: number,
    outbox?: OutboxWriter,
  ): Promise<StatusChange[]> {
    return this.endHold(senderKey, recipientHash, now, 'cancelled', error, outbox);
  }

  /**
   * Ends the hold of every message held for a recipient: `queued` makes their jobs ready again (in the order they
   * were sent), `cancelled` deletes them (and the addresses they hold) and records `error`.
   */
  private endHold(
    senderKey: string,
    recipientHash: string,
    now: number,
    to: 'queued' | 'cancelled',
    error: { readonly code: string; readonly message: string } | undefined,
    outbox: OutboxWriter | undefined,
  ): Promise<StatusChange[]> {
    return this.db.transaction().execute(async (trx) => {
      // A literal for the state, so both planners can use the partial index of held jobs.
      const heldFor = (eb: ExpressionBuilder<Database, 'jobs'>) =>
        eb.and([
          eb('queue', '=', SEND),
          eb('partition_key', '=', senderKey),
          eb('recipient_hash', '=', recipientHash),
          eb('state', '=', sql.lit('held')),
        ]);
      const held =
        to === 'queued'
          ? trx
              .updateTable('jobs')
              .set({ state: 'ready', run_at: now, locked_until: null, locked_by: null })
              .where(heldFor)
              .returning(['message_id'])
          : trx.deleteFrom('jobs').where(heldFor).returning(['message_id']);
      const jobs = await held.execute();
      const ids = jobs.map((j) => j.message_id).filter((id): id is string => id !== null);
      if (ids.length === 0) return [];
      const moved = await trx
        .updateTable('messages')
        .set({
          status: to,
          hold_until: null,
          updated_at: now,
          ...(error ? { error_code: error.code, error_message: error.message } : {}),
        })
        .where('id', 'in', ids)
        .where('status', 'in', [...allowedFrom(to)])
        .returning(['id', 'app_id', 'channel_id', 'campaign_id', 'endpoint_id'])
        .execute();
      if (moved.length === 0) return [];
      await trx
        .insertInto('message_events')
        .values(
          moved.map((m) => ({ message_id: m.id, at: now, status: to, error_code: error?.code ?? null })),
        )
        .execute();
      const changes = moved.map((m) => ({ ...change(m, to, now), ...(error ? { error } : {}) }));
      if (outbox) await insertDeliveries(trx, outbox(changes), now);
      return changes;
    });
  }

  async holdAfterWindowClosed(
    targets: readonly {
      readonly senderKey: string;
      readonly messageId?: string;
      readonly providerMessageId: string;
    }[],
    holdUntil: (appId: string) => number | undefined,
    now: number,
    outbox?: OutboxWriter,
  ): Promise<{ held: ClaimedJob[]; notHeld: number[]; inFlight: number[] }> {
    if (targets.length === 0) return { held: [], notHeld: [], inFlight: [] };
    return this.db.transaction().execute(async (trx) => {
      const held: ClaimedJob[] = [];
      const notHeld: number[] = [];
      const inFlight: number[] = [];
      const settlements: JobSettlement[] = [];
      for (const [index, target] of targets.entries()) {
        let query = trx
          .selectFrom('messages')
          .innerJoin('jobs', 'jobs.message_id', 'messages.id')
          .select([
            'messages.id as message_id',
            'messages.app_id',
            'jobs.id as job_id',
            'jobs.state',
            'jobs.payload',
            'jobs.recipient_hash',
            'jobs.attempts',
          ])
          .where('messages.sender_key', '=', target.senderKey)
          .where('messages.status', 'in', [...allowedFrom('awaiting_window')]);
        query = target.messageId
          ? query.where('messages.id', '=', target.messageId)
          : // The digest, or the id itself (kept as it is, or in a row from before migration 0007 not yet sealed).
            query.where('messages.provider_message_id', 'in', [
              this.providerIds.digest(target.senderKey, target.providerMessageId),
              target.providerMessageId,
            ]);
        const row = await query.executeTakeFirst();
        if (row && row.state !== 'sent') {
          inFlight.push(index);
          continue;
        }
        const until = row ? holdUntil(row.app_id) : undefined;
        if (!row || until === undefined) {
          notHeld.push(index);
          continue;
        }
        const job: ClaimedJob = {
          id: row.job_id,
          messageId: row.message_id,
          senderKey: target.senderKey,
          recipientHash: row.recipient_hash ?? '',
          payload: JSON.parse(row.payload) as SendJobPayload,
          attempts: row.attempts,
        };
        held.push(job);
        settlements.push({
          kind: 'hold',
          job,
          holdUntil: until,
          error: { code: '131047', message: 'the 24-hour window is closed' },
        });
      }
      if (settlements.length > 0) {
        for (const s of settlements) {
          if (s.kind === 'hold')
            await trx
              .updateTable('messages')
              .set({ hold_until: s.holdUntil })
              .where('id', '=', s.job.messageId)
              .execute();
        }
        await this.recordErrors(trx, settlements as Extract<JobSettlement, { error: unknown }>[], now);
        const changes = await this.transition(trx, settlements, 'awaiting_window', now);
        await trx
          .updateTable('jobs')
          .set({ state: 'held', locked_until: null, locked_by: null })
          .where(
            'id',
            'in',
            settlements.map((s) => s.job.id),
          )
          .execute();
        if (outbox && changes.length > 0) await insertDeliveries(trx, outbox(changes), now);
      }
      return { held, notHeld, inFlight };
    });
  }

  async purgeParked(before: number, limit: number): Promise<number> {
    const rows = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', SEND)
      .where('state', '=', 'sent')
      .where('created_at', '<', before)
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    const result = await this.db
      .deleteFrom('jobs')
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async expireHeld(
    now: number,
    limit: number,
    outbox?: OutboxWriter,
  ): Promise<(StatusChange & { senderKey: string; recipientHash: string })[]> {
    return this.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('messages')
        .select('id')
        .where('hold_until', '<=', now)
        .where('status', '=', 'awaiting_window')
        .orderBy('hold_until')
        .limit(limit)
        .execute();
      if (due.length === 0) return [];
      const moved = await trx
        .updateTable('messages')
        .set({ status: 'expired', hold_until: null, updated_at: now })
        .where(
          'id',
          'in',
          due.map((d) => d.id),
        )
        .where('status', '=', 'awaiting_window')
        .returning([
          'id',
          'app_id',
          'channel_id',
          'campaign_id',
          'endpoint_id',
          'sender_key',
          'recipient_hash',
        ])
        .execute();
      if (moved.length === 0) return [];
      const ids = moved.map((m) => m.id);
      await trx
        .insertInto('message_events')
        .values(ids.map((id) => ({ message_id: id, at: now, status: 'expired', error_code: null })))
        .execute();
      await trx.deleteFrom('jobs').where('message_id', 'in', ids).execute();
      const changes = moved.map((m) => ({
        ...change(m, 'expired', now),
        senderKey: m.sender_key,
        recipientHash: m.recipient_hash,
      }));
      if (outbox) await insertDeliveries(trx, outbox(changes), now);
      return changes;
    });
  }

  async depth(
    now: number,
  ): Promise<{ senderKey: string; ready: number; held: number; oldestAgeMs: number }[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select((eb) => [
        'partition_key',
        'state',
        eb.fn.countAll<number>().as('n'),
        eb.fn.min('created_at').as('oldest'),
      ])
      .where('queue', '=', SEND)
      .groupBy(['partition_key', 'state'])
      .execute();
    const bySender = new Map<
      string,
      { senderKey: string; ready: number; held: number; oldestAgeMs: number }
    >();
    for (const row of rows) {
      const entry = bySender.get(row.partition_key) ?? {
        senderKey: row.partition_key,
        ready: 0,
        held: 0,
        oldestAgeMs: 0,
      };
      if (row.state === 'held') entry.held += Number(row.n);
      else {
        entry.ready += Number(row.n);
        entry.oldestAgeMs = Math.max(entry.oldestAgeMs, now - Number(row.oldest ?? now));
      }
      bySender.set(row.partition_key, entry);
    }
    return [...bySender.values()];
  }
}

function change(
  m: {
    id: string;
    app_id: string;
    channel_id: string;
    campaign_id: string | null;
    endpoint_id: string | null;
  },
  status: MessageStatus,
  at: number,
): StatusChange {
  return {
    messageId: m.id,
    appId: m.app_id,
    channelId: m.channel_id,
    status,
    at,
    ...(m.campaign_id ? { campaignId: m.campaign_id } : {}),
    ...(m.endpoint_id ? { endpointId: m.endpoint_id } : {}),
  };
}
