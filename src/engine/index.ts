// The segment engine: compiled conditions, incremental metrics, on-device scores, real-time membership.
export { compileCondition, ConditionError, KNOWN_OPERATORS, type Matcher } from '../condition';
export { collectPaths, explainCondition, type ClauseResult } from '../condition';
export {
  createEngine,
  takeHashes,
  type Engine,
  type EngineOptions,
  type EngineState,
  type EvaluationContext,
  type Explanation,
  type Label,
  type MembershipChange,
  type CampaignHistory,
  type ProfileContext,
  type LabelContext,
} from './engine';
export { replayableAfter } from './history';
export { knownHashes } from './digest';
