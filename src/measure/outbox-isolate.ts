// Which messages the outbox sends next, and what a failed batch tells about them: a batch that
// keeps failing is halved until one message is left (the suspect); the suspect gets one more try
// alone once another batch went through, and is dropped if it fails again. A collector that
// refuses (4xx) gets batches split the same way, so the good messages are kept.
import type { Message } from '../store';
import { fit } from './outbox-http';

/** Failed tries (5xx, 408, 429) of one batch before it is split to find a message the collector chokes on. */
const SPLIT_AFTER = 3;

export function createIsolation(batchSize: number) {
  /** Messages per request now: halved while a batch keeps failing. */
  let limit = batchSize;
  /** Failures of the batch at the head since it last changed size. */
  let failures = 0;
  /** Refusals (4xx) in a row: a collector that refuses everything gets whole batches dropped, not split. */
  let refusals = 0;
  /** One message the collector failed on alone. */
  let suspect: Message | undefined;
  /** Another batch went through since: the suspect is sent alone again. */
  let vouched = false;

  function clear(): void {
    suspect = undefined;
    vouched = false;
    limit = batchSize;
  }

  return {
    clear,

    /** The next batch, read from the queue's head. */
    async next(peek: (count: number) => Promise<Message[]>): Promise<Message[]> {
      if (suspect && vouched) return [suspect];
      const items = await peek(limit + (suspect ? 1 : 0));
      const batch = fit(items.filter((m) => m.id !== suspect?.id).slice(0, limit));
      if (!batch.length) limit = batchSize;
      return batch;
    },

    /** The batch is the suspect alone. */
    alone: (batch: Message[]) => !!suspect && batch.length === 1 && batch[0]!.id === suspect.id,

    /** The suspect failed again, alone, after others went through: it goes. */
    condemned: (batch: Message[]) => vouched && !!suspect && batch.length === 1 && batch[0]!.id === suspect.id,

    sent(batch: Message[]): void {
      failures = refusals = 0;
      if (suspect && batch.length === 1 && batch[0]!.id === suspect.id) clear();
      else if (suspect) vouched = true; // the collector works: the suspect gets one more try alone
    },

    /** Refused for good (4xx): true when the batch is to be dropped, false when it was split instead. */
    refused(batch: Message[]): boolean {
      refusals++;
      if (batch.length > 1 && refusals <= Math.log2(batchSize) + 2) {
        limit = Math.ceil(batch.length / 2);
        return false;
      }
      limit = batchSize;
      return true;
    },

    /** A failure worth retrying (with a status): true when the next try isolates (a quick step, not the backoff). */
    failed(batch: Message[]): boolean {
      if (suspect) {
        // Everything fails, not just the suspect: the collector is down. Keep it and wait.
        clear();
        failures = 0;
        return false;
      }
      // Splitting starts after a few tries of the whole batch; once split, each failure halves at once.
      if (limit === batchSize && ++failures < SPLIT_AFTER) return false;
      failures = 0;
      if (batch.length > 1) limit = Math.ceil(batch.length / 2);
      else {
        suspect = batch[0];
        limit = batchSize;
      }
      return true;
    },
  };
}
