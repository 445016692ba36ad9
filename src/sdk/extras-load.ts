// The ES module build loads each optional part as a chunk (see ./extras.ts).
import type { PartName, Parts } from './extras';

const loaders: { [K in PartName]: () => Promise<Parts[K]> } = {
  extras: () => import('./parts/extras').then((m) => m.part),
  collect: () => import('./parts/collect').then((m) => m.part),
  labels: () => import('./parts/labels').then((m) => m.part),
};

export const loadPart = <K extends PartName>(name: K): Promise<Parts[K]> => loaders[name]();
