// The lazily loaded part of the preview: the overlay and the token check.
import { mountPreview } from './overlay';
import { verifyPreviewToken } from './token';
import type { PreviewChunk } from './types';

export const chunk: PreviewChunk = { mount: mountPreview, verify: verifyPreviewToken };
