// Debug mode (`debug: true`, or `?microseg_debug=1` in the page's own URL): the SDK's life in the
// console, one collapsed group per thing that happened, details inside. Small on purpose: it
// ships in the core bundle and only listens to the public events.
import type { Microseg } from './microseg';

export function debugWanted(option: boolean | undefined): boolean {
  if (option !== undefined) return option === true;
  try {
    return new URLSearchParams(globalThis.location?.search).get('microseg_debug') === '1';
  } catch {
    return false;
  }
}

export function logDebug(ms: Pick<Microseg, 'on' | 'explain'>): void {
  const log = (title: string, details: unknown) => {
    console.groupCollapsed(`[microseg] ${title}`);
    console.log(details);
    console.groupEnd();
  };
  const segment = (verb: string) => (e: { id: string }) => log(`${verb} segment ${e.id}`, ms.explain(e.id));
  ms.on('config', (c) => log(`config ${c.version} in force (from ${c.source})`, c));
  ms.on('segment:enter', segment('entered'));
  ms.on('segment:exit', segment('left'));
  ms.on('decision', (d) => log(`slot ${d.slot}: ${d.campaign ? `${d.campaign}${d.control ? ' (hold-out: default content)' : ''}` : 'default content'}`, d.reason));
  ms.on('label', (labels) => log(`labels: ${labels.map((l) => l.name).join(', ') || 'none'}`, labels));
  ms.on('error', (e) => log(`error ${e.code}: ${e.message}`, e));
}
