// `npm start`: the demo shop, the marketer console and the API on one port.
import { startDemoServer, type DemoServer } from './app';

const port = Number(process.env.PORT ?? 8080);
let server: DemoServer;
try {
  server = await startDemoServer({
    port,
    host: process.env.HOST,
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: process.env.MICROSEG_DATA_DIR || undefined,
    configPath: process.env.MICROSEG_CONFIG || undefined,
    adminToken: process.env.MICROSEG_ADMIN_TOKEN || undefined,
    origins: process.env.MICROSEG_ORIGINS ? process.env.MICROSEG_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : undefined,
    identitySecret: process.env.MICROSEG_IDENTITY_SECRET || undefined,
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  console.error(e.code === 'EADDRINUSE' ? `Port ${port} is taken: stop what runs there, or start with PORT=<another port>.` : `The demo could not start: ${e.message}`);
  process.exit(1);
}

const base = server.url.replace('127.0.0.1', 'localhost');
console.log(`
  Maison Demo (microseg)      database: ${server.db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${process.env.MICROSEG_DATA_DIR || 'demo/data'}`}

  Shop      ${base}/
  Console   ${base}/console
  API       ${base}/api/config   /api/labels   /api/collect
  Admin token (sign in to the console with it, or send Authorization: Bearer …): ${server.adminToken}
`);
// One line a supervisor (or a test) can read: where this instance listens.
if (process.env.MICROSEG_PRINT_URL) console.log(`MICROSEG_URL=${server.url}`);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
