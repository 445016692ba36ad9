// Decisions: campaigns per slot (priority, schedules, duration periods, caps, hold-outs) and
// suppressions. Pure functions; src/core wires them to the live context and the page.
export {
  decide,
  activeSuppressions,
  suppressedOffers,
  isOfferSuppressed,
  blockingSuppression,
  localDate,
  slotsOf,
  nextDecisionChange,
  type Decision,
  type DecideContext,
  type DecideState,
  type Considered,
  type Outcome,
  type CapKind,
} from './decide';
export { addExposure, addClick, isHistory, type ExposureHistory, type CampaignExposures, type Moment } from './history';
export { hash32, holdoutBucket } from './hash';
