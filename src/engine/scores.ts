// On-device predictive scores: linear / logistic models and lookalike (cosine) similarity,
// with coefficients published by the backend.

import { own } from '../shared/dict';
import type { ScoreDef } from '../config/types';
import { compilePath, ConditionError } from '../condition';

export interface CompiledScore {
  id: string;
  /** context paths the score reads */
  inputs: string[];
  compute(ctx: unknown): number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function compileScore(id: string, def: ScoreDef): CompiledScore {
  const at = `scores.${id}`;
  const defaults = def.defaults ?? {};
  const reader = (path: string, where: string) => {
    const get = compilePath(path, where);
    const fallback = own(defaults, path) ?? 0;
    if (!finite(fallback)) throw new ConditionError(`${at}.defaults.${path}`, 'a default must be a number');
    // Booleans count as 1/0 (traits.vip); anything else missing or non-numeric takes the default.
    return (ctx: unknown): number => {
      const v = get(ctx);
      if (finite(v)) return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      return fallback;
    };
  };

  if (def.model === 'logistic' || def.model === 'linear') {
    if (!finite(def.bias)) throw new ConditionError(`${at}.bias`, 'needs a number');
    const paths = Object.keys(def.weights ?? {});
    const weights = paths.map((p) => {
      const w = def.weights[p];
      if (!finite(w)) throw new ConditionError(`${at}.weights.${p}`, 'a weight must be a number');
      return w;
    });
    const readers = paths.map((p) => reader(p, `${at}.weights.${p}`));
    const bias = def.bias;
    const logistic = def.model === 'logistic';
    return {
      id,
      inputs: paths,
      compute(ctx) {
        let z = bias;
        for (let i = 0; i < readers.length; i++) z += weights[i]! * readers[i]!(ctx);
        return logistic ? 1 / (1 + Math.exp(-z)) : z;
      },
    };
  }

  if (def.model === 'lookalike') {
    const { features, centroid } = def;
    if (!Array.isArray(features) || features.length === 0) throw new ConditionError(`${at}.features`, 'needs a list of context paths');
    if (!Array.isArray(centroid) || centroid.length !== features.length || !centroid.every(finite)) {
      throw new ConditionError(`${at}.centroid`, `needs ${features.length} numbers, one per feature`);
    }
    const readers = features.map((p, i) => reader(p, `${at}.features[${i}]`));
    const centroidNorm = Math.hypot(...centroid);
    return {
      id,
      inputs: features,
      compute(ctx) {
        let dot = 0;
        let norm = 0;
        for (let i = 0; i < readers.length; i++) {
          const x = readers[i]!(ctx);
          dot += x * centroid[i]!;
          norm += x * x;
        }
        // A zero vector is like nothing: similarity 0.
        return norm === 0 || centroidNorm === 0 ? 0 : dot / (Math.sqrt(norm) * centroidNorm);
      },
    };
  }
  throw new ConditionError(`${at}.model`, `unknown model ${JSON.stringify((def as { model: unknown }).model)}`);
}
