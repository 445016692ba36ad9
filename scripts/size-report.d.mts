/** Raw, gzip (level 9) and brotli (quality 11) bytes of a built file. */
export function sizes(path: string): { raw: number; gzip: number; brotli: number };
