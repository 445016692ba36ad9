// refresh() resolves once labels for the visitor as of the call are in: a call made while a fetch is
// under way (for the anonymous id, say, before identify()) waits for the fetch after it.
import { describe, expect, it, vi } from 'vitest';
import { createRemoteLabels } from '../../../src/labels/remote';

describe('remote labels', () => {
  it('a refresh() asked for while a fetch is under way resolves after the fetch it coalesced into', async () => {
    let visitor = 'anon-1';
    const asked: string[] = [];
    const answers: Array<() => void> = [];
    const remote = createRemoteLabels({
      url: 'https://labels.example/api/labels',
      visitor: () => visitor,
      allowed: () => true,
      now: () => Date.now(),
      onLabels: () => {},
      onError: (e) => {
        throw new Error(e.message);
      },
      fetch: (async (url: string) => {
        asked.push(new URL(url).searchParams.get('uid')!);
        await new Promise<void>((r) => answers.push(r));
        return new Response(JSON.stringify({ labels: [] }), { headers: { 'content-type': 'application/json' } });
      }) as typeof fetch,
    });
    const first = remote.refresh();
    visitor = 'user-7'; // identify() while the first fetch is on its way
    let secondDone = false;
    const second = remote.refresh().then(() => (secondDone = true));
    answers.shift()!();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    expect(secondDone).toBe(false); // the fetch for user-7 is still to come
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    answers.shift()!();
    await second;
    expect(asked).toEqual(['anon-1', 'user-7']);
    remote.stop();
  });
});

