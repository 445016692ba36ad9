// The parts a page needs only when the site configured them — measurement (collector, journeys) and
// the labels backend — load on demand, so a page without them never downloads or compiles them.
// The script-tag build swaps ./extras-load for src/entry/extras-script.ts (a file beside the SDK, which
// takes the core's functions it shares from the kit the core hands it: src/entry/kit.ts).
import type { createMeasurement } from '../measure';
import type { createRemoteLabels } from '../labels/remote';

export interface Extras {
  createMeasurement: typeof createMeasurement;
  createRemoteLabels: typeof createRemoteLabels;
}
