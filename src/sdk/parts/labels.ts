// The labels backend part (see ../extras.ts).
import { createRemoteLabels } from '../../labels/remote';
import type { Parts } from '../extras';

export const part: Parts['labels'] = { createRemoteLabels };
