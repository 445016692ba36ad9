// The parts a page needs only when the site configured them load on demand, each on its own, so a
// page never downloads or compiles one it does not use: `extras`, measurement (journeys, and what
// goes to a collector), with journeys or a collector; `collect`, the collector's outbox, with a
// collector; `labels`, the labels backend's client, with a labels URL.
// The script-tag build swaps ./extras-load for src/entry/extras-script.ts (files beside the SDK, which
// take the core's functions they share from the kit the core hands them: src/entry/kit.ts).
import type { createMeasurement } from '../measure';
import type { createOutbox } from '../measure/outbox';
import type { createRemoteLabels } from '../labels/remote';

export interface Parts {
  extras: { createMeasurement: typeof createMeasurement };
  collect: { createOutbox: typeof createOutbox };
  labels: { createRemoteLabels: typeof createRemoteLabels };
}

export type PartName = keyof Parts;
