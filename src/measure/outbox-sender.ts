// The outbox's sender: batches from the queue's head to the collector, one tab at a time,
// exponential backoff with jitter between failed tries, Retry-After honoured, a batch that
// keeps failing split to find the message the collector chokes on (outbox-isolate.ts).
import type { Message, Queue } from '../store';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { setTimer } from '../shared/timer';
import { DAY } from '../shared/constants';
import { backoffDelay } from '../shared/backoff';
import { crossOrigin, parseRetryAfter, post, reachable, type Answer } from './outbox-http';
import { createIsolation } from './outbox-isolate';

/** A Retry-After further ahead than this is read as this (a new page tries again anyway). */
const MAX_RETRY_AFTER = DAY;

export interface SenderDeps {
  url: string;
  queue: Queue;
  report: Reporter;
  batchSize: number;
  interval: number;
  maxBackoff: number;
  random: () => number;
  doFetch: typeof fetch;
  /** Sending is allowed (consent, not stopped). */
  live: () => boolean;
  /** Hands what is buffered to the queue. */
  write: () => Promise<void>;
  /** Takes sent (or dropped) messages off the queue. */
  remove: (ids: string[]) => Promise<void>;
}

export function createSender(deps: SenderDeps) {
  const { queue, report, batchSize, interval, maxBackoff, random, doFetch } = deps;
  const isolation = createIsolation(batchSize);
  let sendTimer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | null = null;
  let attempt = 0;
  let backingOff = false;
  let corsReported = false;
  /** Messages were stored since the sender last looked. */
  let stored = false;

  function later(delay: number): void {
    if (!deps.live() || backingOff || sending) return;
    if (sendTimer !== undefined) {
      if (delay > 0) return; // a send is already due
      clearTimeout(sendTimer);
    }
    sendTimer = setTimer(() => {
      sendTimer = undefined;
      void send();
    }, delay);
  }

  /** Sends batches until the outbox is empty or a request fails. */
  function send(): Promise<void> {
    if (!sending && deps.live()) {
      // One tab sends at a time; the others' messages are in the same outbox.
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      const run = locks ? locks.request('microseg-outbox', { ifAvailable: true }, (lock) => (lock ? drain() : 'busy')) : drain();
      sending = Promise.resolve(run)
        .then((result) => {
          if (result === 'busy') stored = true; // another tab is sending: look again later
        })
        .catch((cause) => report({ code: 'collect-failed', message: `sending events failed (${describe(cause)})`, cause }))
        .finally(() => {
          sending = null;
          if (stored) later(interval); // written while the last batch was read
        });
    }
    return sending ?? Promise.resolve();
  }

  /** Sends what is stored now: a send under way may have looked before it was, so after it, once more. */
  function sendStored(): Promise<void> {
    return sending ? sending.then(send) : send();
  }

  async function drain(): Promise<void> {
    await deps.write();
    for (;;) {
      if (!deps.live()) return;
      stored = false;
      const batch = await isolation.next((count) => queue.peek(count));
      if (!batch.length) return;
      const answer = await post(doFetch, deps.url, batch);
      const ids = batch.map((m) => m.id);
      if (answer.ok) {
        attempt = 0;
        isolation.sent(batch);
        await deps.remove(ids);
      } else if (!answer.retry) {
        if (!isolation.refused(batch)) continue;
        await deps.remove(ids);
        report({ code: 'collect-rejected', message: `the collector answered ${answer.status}; ${ids.length} message${ids.length === 1 ? '' : 's'} dropped` });
      } else if (isolation.condemned(batch) && answer.status !== undefined) {
        isolation.clear();
        await deps.remove(ids);
        report({
          code: 'collect-dropped',
          message: `the collector failed on 1 message (id ${ids[0]}) every time it was sent while it took the others; 1 message dropped`,
        });
      } else return failed(batch, answer);
    }
  }

  /** A failure worth retrying: back off; a batch that keeps failing is split until one message is left. */
  function failed(batch: Message[], answer: Extract<Answer, { ok: false }>): void {
    if (answer.status !== undefined) return retry(answer.retryAfter, isolation.failed(batch));
    void checkCors();
    retry(null);
  }

  /**
   * A cross-origin collector that stores the batch but sends no CORS header looks like a network
   * failure. A no-cors probe that gets through tells the two apart: say so once, plainly.
   */
  async function checkCors(): Promise<void> {
    if (corsReported || !crossOrigin(deps.url) || !(await reachable(doFetch, deps.url)) || corsReported) return;
    corsReported = true;
    const origin = globalThis.location?.origin ?? 'the site';
    report({
      code: 'collect-cors',
      message:
        `the collector ${deps.url} is reachable but its answer is hidden by CORS: it must send ` +
        `"Access-Control-Allow-Origin: ${origin}" (or "*") on its POST answers; until then every batch is retried with backoff`,
    });
  }

  /** Waits before the next try: exponential backoff with jitter, never less; a quick step while isolating a bad message. */
  function retry(retryAfter: string | null | undefined, isolating = false): void {
    attempt++;
    let delay = isolating ? backoffDelay(1, { random }) : backoffDelay(attempt, { max: maxBackoff, random });
    // Retry-After may lengthen the wait, never shorten it below the backoff (no tight loop on "0").
    const after = parseRetryAfter(retryAfter);
    if (after !== undefined) delay = Math.max(delay, Math.min(after, MAX_RETRY_AFTER));
    backingOff = true;
    sendTimer = setTimer(() => {
      sendTimer = undefined;
      backingOff = false;
      void send();
    }, delay);
  }

  function resume(): void {
    // Back online, or a page of ours became visible: try at once.
    if (!backingOff) return;
    clearTimeout(sendTimer);
    sendTimer = undefined;
    backingOff = false;
    void send();
  }

  return {
    later,
    send,
    sendStored,
    resume,
    /** Messages were stored: look again after this send. */
    stored(): void {
      stored = true;
    },
    /** Consent denied, or stopped: no send is due any more. */
    reset(): void {
      isolation.clear();
      clearTimeout(sendTimer);
      sendTimer = undefined;
      backingOff = false;
    },
  };
}
