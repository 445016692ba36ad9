// The per-event membership update (1,000 segments, 200 metrics) in Chromium: the engine workload
// bundled for the browser and run in a cross-origin-isolated page, where performance.now() is
// precise to a few microseconds.
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import { html, launch, startServer } from '../../test/browser/harness';

async function bundleWorkload(): Promise<string> {
  const build = await rollup({
    input: new URL('./membership-entry.ts', import.meta.url).pathname,
    plugins: [resolve({ browser: true }), typescript({ tsconfig: false, compilerOptions: { target: 'ES2020', module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: true }, include: ['src/**/*.ts', 'bench/**/*.ts'] })],
    onwarn: () => {},
  });
  const { output } = await build.generate({ format: 'iife' });
  await build.close();
  return output[0].code;
}

export async function run() {
  const code = await bundleWorkload();
  const server = await startServer();
  server.app.use('/isolated', async (c, next) => {
    await next();
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
  });
  server.app.get('/isolated', (c) => c.html(html('')));
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(server.url + '/isolated');
    const isolated = await page.evaluate(() => crossOriginIsolated);
    await page.addScriptTag({ content: code });
    const result = await page.evaluate(() => (window as any).__membership());
    return { chromium: { crossOriginIsolated: isolated, ...result }, target: 'p95 ≤ 1 ms (1,000 µs) per event' };
  } finally {
    await browser.close();
    await server.close();
  }
}
