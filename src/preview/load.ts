// The ES module build loads the overlay as a chunk; the script-tag build swaps this module for
// src/entry/preview-script.ts, which loads dist/microseg.preview.js beside the SDK.
import type { PreviewChunk } from './types';

export const loadOverlay = (): Promise<PreviewChunk> => import('./chunk').then((m) => m.chunk);
