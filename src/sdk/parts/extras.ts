// The measurement part (see ../extras.ts).
import { createMeasurement } from '../../measure';
import type { Parts } from '../extras';

export const part: Parts['extras'] = { createMeasurement };
