// The React page of the React browser tests: one component tree, rendered on the server
// (react-dom/server in Node) and in the browser (a bundle of this file, react and react-dom).
import { createElement as h, useEffect } from 'react';
import { MicrosegProvider, Slot, useDecision, useLabels, useMicroseg, useSegments, type Handover } from '../../../dist/microseg.react.mjs';

export const CONFIG = {
  schema: 1,
  version: 'react-1',
  segments: [
    { id: 'vip', when: { 'labels.vip': { $exists: true } } },
    { id: 'from-email', when: { 'profile.channel': 'email' } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [
    { id: 'vip-hero', slot: 'hero', segments: ['vip'], priority: 20, content: { text: 'PERSONAL vip', attributes: { class: 'vip' } } },
    { id: 'email-hero', slot: 'hero', segments: ['from-email'], priority: 10, content: { text: 'PERSONAL email' } },
    { id: 'hello-hero', slot: 'hero', segments: ['everyone'], content: { text: 'PERSONAL hello' } },
  ],
};

function Expose() {
  const ms = useMicroseg();
  useEffect(() => {
    (window as any).__ms = ms;
  }, [ms]);
  return null;
}

function Status() {
  const segments = useSegments();
  const labels = useLabels();
  const decision = useDecision('hero');
  return h('p', { id: 'status' }, `segments:${segments.join(',')} labels:${labels.map((l) => l.name).join(',')} hero:${decision?.campaign ?? '-'}`);
}

export function App({ handover, dbName = 'microseg' }: { handover?: Handover; dbName?: string }) {
  return h(
    MicrosegProvider,
    { options: { config: CONFIG as never, autoPage: false, dbName }, handover },
    h('header', null, 'Maison'),
    h(Slot, { name: 'hero', as: 'section' }, h('h1', null, 'DEFAULT hero')),
    h(Status),
    h(Expose),
  );
}
