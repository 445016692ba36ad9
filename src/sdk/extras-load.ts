// The ES module build loads the optional parts as a chunk (see ./extras.ts).
import type { Extras } from './extras';

export const loadExtras = (): Promise<Extras> => import('./extras-parts').then((m) => m.extras);
