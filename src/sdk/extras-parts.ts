// What the optional-parts chunk holds (see ./extras.ts).
import { createMeasurement } from '../measure';
import { createRemoteLabels } from '../labels/remote';
import type { Extras } from './extras';

export const extras: Extras = { createMeasurement, createRemoteLabels };
