// The validator (zod/mini and the cross-reference rules) is most of the config code's weight, and a
// device needs it only when a document it has not checked before arrives. So it is loaded on
// demand: the ES module build splits it into a chunk; the script-tag build swaps this module for
// src/entry/validator-script.ts, which loads dist/microseg.schema.js beside the SDK.
import type { ParseResult } from './schema';

export type Validate = (input: unknown) => ParseResult;

export const loadValidator = (): Promise<Validate> => import('./schema').then((m) => m.parseConfig);
