// A simulated population against the real SDK (fake clock, fake IndexedDB, a fake collector that
// keeps each message id once, as the backend does). Visitors come back over days, reload, and
// use two tabs at once. What the collector holds must equal a ground truth computed only from
// what each visitor did, with the README's rule: one window per (visitor, step), opened by an
// exposure at or after the moment the step's last window ended; a goal inside it is a
// progression, the window's end without one an aversion.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';
import { prng } from '../../../scripts/simulate';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 10);
const STEPS = [
  { id: 'promo-step', exposure: 'promo_seen', goal: 'buy', within: 2 * 60 * MIN },
  { id: 'bags-step', exposure: 'view_bags', goal: 'add_to_cart', within: 30 * MIN },
];
const config: MicrosegConfig = {
  schema: 1,
  version: 'sim-1',
  segments: [{ id: 'everyone', fallback: true }],
  journeys: STEPS.map((s) => ({ id: s.id, exposure: { event: s.exposure }, goal: { event: s.goal }, within: '1m' })),
};
config.journeys![0]!.within = '2h';
config.journeys![1]!.within = '30m';
const ACTIONS = ['promo_seen', 'buy', 'view_bags', 'add_to_cart', 'browse'];

interface Did { id: string; type: string; ts: number; seq: number }
interface Message { id: string; type: string; props: { journey: string; at: number; outcome?: string } }

/** The ground truth: windows from the visitor's own events, by the documented rule. */
function truth(did: Did[]): { exposures: string[]; outcomes: string[] } {
  const exposures: string[] = [];
  const outcomes: string[] = [];
  const events = did.slice().sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  for (const step of STEPS) {
    let open: { at: number; id: string } | undefined;
    let endedAt = -Infinity;
    const close = (outcome: string, at: number) => {
      outcomes.push(`${step.id}@${open!.at}:${outcome}`);
      endedAt = at;
      open = undefined;
    };
    for (const e of events) {
      if (open && e.ts > open.at + step.within) close('aversion', open.at + step.within);
      if (open && e.type === step.goal && e.id !== open.id) close('progression', e.ts);
      if (!open && e.type === step.exposure && e.ts >= endedAt) {
        open = { at: e.ts, id: e.id };
        exposures.push(`${step.id}@${e.ts}`);
      }
    }
    if (open) close('aversion', open.at + step.within); // the simulation ends long after every window
  }
  return { exposures: exposures.sort(), outcomes: outcomes.sort() };
}

/** Real time for IndexedDB (setImmediate), fake time standing still. */
async function settle(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

let collected = new Map<string, Message>();
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(T0);
  vi.stubGlobal('fetch', vi.fn(async (_url: unknown, init?: RequestInit) => {
    for (const m of JSON.parse(String(init!.body)).events as Message[]) collected.set(m.id, m); // the backend keeps an id once
    return new Response('{"ok":true}', { status: 200 });
  }));
  if (typeof navigator.sendBeacon === 'function') vi.spyOn(navigator, 'sendBeacon').mockReturnValue(false);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function visitor(n: number, rand: () => number): Promise<{ did: Did[]; got: { exposures: string[]; outcomes: string[] } }> {
  collected = new Map();
  localStorage.clear(); // a new device
  const did: Did[] = [];
  let seq = 0;
  const open: Microseg[] = [];
  const page = () => {
    const ms = createMicroseg({ config, autoPage: false, dbName: `visitor-${n}`, collectUrl: '/collect', collect: { interval: 10 } });
    ms.on('track', (e: Did) => {
      if (ACTIONS.includes(e.type)) did.push({ id: e.id, type: e.type, ts: e.ts, seq: seq++ });
    });
    open.push(ms);
    return ms;
  };
  const close = async (ms: Microseg) => {
    await ms.flush();
    ms.destroy();
    open.splice(open.indexOf(ms), 1);
    await settle();
  };
  const sessions = 1 + Math.floor(rand() * 4); // some come back, up to 4 times
  for (let s = 0; s < sessions; s++) {
    const tabs = [page()];
    if (rand() < 0.4) tabs.push(page()); // a second tab
    for (const ms of tabs) await ms.ready;
    const actions = 2 + Math.floor(rand() * 8);
    for (let a = 0; a < actions; a++) {
      const i = Math.floor(rand() * tabs.length);
      if (rand() < 0.15) {
        await close(tabs[i]!); // a reload
        tabs[i] = page();
        await tabs[i]!.ready;
        await settle();
      }
      const action = ACTIONS[Math.floor(rand() * ACTIONS.length)]!;
      tabs[i]!.track(action);
      await settle();
      await vi.advanceTimersByTimeAsync(Math.floor(rand() * 50) * MIN + 1000); // windows close on their timers
      await settle();
    }
    for (const ms of tabs) await close(ms);
    vi.setSystemTime(Date.now() + Math.floor(rand() * 3 * 24 * 60) * MIN); // away for up to 3 days
  }
  // Long after: the last page settles what closed while nobody was there.
  vi.setSystemTime(Date.now() + 24 * 60 * MIN);
  const last = page();
  await last.ready;
  const expected = truth(did);
  const got = () => {
    const list = [...collected.values()];
    const exposures = list.filter((m) => m.type === '$journey.exposure').map((m) => `${m.props.journey}@${m.props.at}`).sort();
    const outcomes = list.filter((m) => m.type === '$journey.outcome').map((m) => `${m.props.journey}@${m.props.at}:${m.props.outcome}`).sort();
    return { exposures, outcomes };
  };
  // Wait on state: until the collector holds as many outcomes as the truth has (or a bound).
  for (let i = 0; i < 50 && got().outcomes.length < expected.outcomes.length; i++) {
    await last.flush();
    await vi.advanceTimersByTimeAsync(100);
    await settle(10);
  }
  await close(last);
  for (const ms of open.splice(0)) ms.destroy();
  return { did, got: got() };
}

describe('a simulated population', () => {
  it('returning visitors, reloads and two tabs: the collected exposures and outcomes equal the ground truth', async () => {
    const rand = prng(13);
    let windows = 0;
    for (let n = 0; n < 24; n++) {
      const { did, got } = await visitor(n, rand);
      const expected = truth(did);
      windows += expected.exposures.length;
      expect(got, `visitor ${n}: ${JSON.stringify(did.map((d) => [d.type, d.ts - T0]))}`).toEqual(expected);
    }
    expect(windows).toBeGreaterThan(20); // the population really exercises the windows
  }, 120_000);
});
