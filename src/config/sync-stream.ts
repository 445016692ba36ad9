// The Server-Sent Events source: each message is a config or envelope; on (re)open the network
// copy is revalidated, since not every server pushes what was published before.
import type { Accept, ConfigSyncOptions, EventSourceLike, Fail, Serial } from './sync-types';

/** The open stream, or undefined (told to onError) when it cannot be opened. */
export function openStream(
  sseUrl: string | undefined,
  opts: ConfigSyncOptions,
  parts: { accept: Accept; serial: Serial; fail: Fail; share: () => void; fetchOnce: () => Promise<boolean> },
): EventSourceLike | undefined {
  const { accept, serial, fail, share, fetchOnce } = parts;
  const ES = opts.EventSource ?? (typeof EventSource === 'function' ? (EventSource as unknown as ConfigSyncOptions['EventSource']) : undefined);
  if (!sseUrl || !ES) {
    fail({ code: 'config-sse', message: sseUrl ? 'Server-Sent Events are not available here' : 'sse: true needs a configUrl', source: 'sse' });
    return undefined;
  }
  let es: EventSourceLike | undefined;
  try {
    const stream = (es = new ES(sseUrl));
    const onMessage = (event: { data?: unknown }) => void serial(() => accept(String(event.data), 'sse')).then((ok) => ok && share());
    stream.addEventListener('message', onMessage);
    stream.addEventListener('config', onMessage);
    // What was published before the stream was open is not pushed by every server: revalidate.
    stream.addEventListener('open', () => void serial(fetchOnce).then((ok) => ok && share()));
    // EventSource reconnects by itself; only a closed stream is worth telling.
    stream.onerror = () => {
      if (stream.readyState === 2) fail({ code: 'config-sse', message: `the config stream ${sseUrl} closed`, source: 'sse' });
    };
  } catch (err) {
    fail({ code: 'config-sse', message: `could not open ${sseUrl}: ${(err as Error)?.message ?? err}`, source: 'sse' });
  }
  return es;
}
