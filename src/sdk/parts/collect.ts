// The collector part (see ../extras.ts).
import { createOutbox } from '../../measure/outbox';
import type { Parts } from '../extras';

export const part: Parts['collect'] = { createOutbox };
