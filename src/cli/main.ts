// `microseg`: validate, sign and plan configs from the command line.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  campaignMatrix,
  generateKeys,
  isEnvelope,
  parseConfig,
  signConfig,
  verifyEnvelope,
  type CampaignMatrix,
  type MicrosegConfig,
} from '../config';
// Not in the public face: the browser build never needs zod's JSON Schema generator.
import { configJsonSchema } from '../config/json-schema';
import { withHint } from './hint';
import { formatMatrix } from './matrix';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Files are read and written relative to this directory. */
  cwd: string;
}

interface Command {
  usage: string;
  summary: string;
  /** Options, as node:util parseArgs takes them. */
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  details?: string;
}

const help = { type: 'boolean', short: 'h' } as const;

const COMMANDS: Record<string, Command> = {
  validate: {
    usage: 'microseg validate <config.json>... [--key <public key>]',
    summary: 'Check configs (plain or signed). Prints "ok", or every problem with its JSON path; exit 1 on problems.',
    options: { key: { type: 'string', short: 'k' }, help },
    details: '  --key, -k   the public key (PEM, JWK or base64 SPKI) that signed configs must verify against',
  },
  keygen: {
    usage: 'microseg keygen [--out private.pem] [--force]',
    summary: 'Create an ECDSA P-256 key pair: writes the private key, prints the public key (JWK and PEM) for the SDK.',
    options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, help },
    details: '  --out, -o   where to write the private key (default private.pem)\n  --force     replace an existing file',
  },
  sign: {
    usage: 'microseg sign <config.json> --key <private.pem> [-o <signed.json>] [--kid <id>] [--issued now|<n>]',
    summary: 'Validate, then write the signed envelope (to stdout without -o). The editor hint "$schema" is not signed.',
    options: { key: { type: 'string', short: 'k' }, out: { type: 'string', short: 'o' }, kid: { type: 'string' }, issued: { type: 'string' }, help },
    details:
      '  --key, -k   the private key from microseg keygen\n  --out, -o   where to write the envelope\n  --kid       which key signed it, for key rotation\n' +
      '  --issued    stamp the document\'s order: "now" (milliseconds since the epoch) or a whole number; browsers never go back to an older one',
  },
  verify: {
    usage: 'microseg verify <signed.json> --key <public key>',
    summary: "Check a signed envelope's signature and its config.",
    options: { key: { type: 'string', short: 'k' }, help },
    details: '  --key, -k   the public key (PEM, JWK or base64 SPKI) printed by microseg keygen',
  },
  matrix: {
    usage: 'microseg matrix <config.json> [--from YYYY-MM-DD] [--days N] [--json]',
    summary: 'Which campaign each segment gets in each slot, date by date.',
    options: { from: { type: 'string' }, days: { type: 'string' }, json: { type: 'boolean' }, help },
    details: '  --from      the first date (default today)\n  --days      how many dates, 1–366 (default 14)\n  --json      print the matrix as JSON',
  },
  schema: {
    usage: 'microseg schema [-o <file>]',
    summary: 'Print (or write) the JSON Schema of the config.',
    options: { out: { type: 'string', short: 'o' }, help },
    details: '  --out, -o   write it to this file',
  },
};

const USAGE = `microseg — the microseg configuration tool

${Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}
  microseg --version
      Print the version.
  microseg <command> --help
      What a command does and its options.
`;

const commandHelp = (c: Command) => `${c.usage}\n\n${c.summary}\n\noptions:\n${c.details ? `${c.details}\n` : ''}  --help, -h  this help\n`;

class CliError extends Error {}

interface Args {
  positional: string[];
  flags: Record<string, string | boolean | undefined>;
}

function parseCommand(command: Command, argv: string[]): Args {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: command.options, allowPositionals: true, strict: true });
    return { positional: positionals, flags: values as Args['flags'] };
  } catch (err) {
    // parseArgs' own words, then the command's usage.
    throw new CliError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\nusage: ${command.usage}`);
  }
}

/** This package's version, from its package.json (beside src/ or dist/). */
function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (pkg.name === 'microseg') return String(pkg.version);
    } catch {
      /* not here */
    }
  }
  return 'unknown';
}

/** A private key given where a public one belongs: PEM "PRIVATE KEY", or a JWK with "d". */
function isPrivateKey(text: string): boolean {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return true;
  try {
    const jwk = JSON.parse(text);
    return !!jwk && typeof jwk === 'object' && typeof jwk.d === 'string';
  } catch {
    return false;
  }
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  cwd: process.cwd(),
};

/** Runs one command; resolves to the process exit code. */
export async function run(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    const command = argv[0]?.startsWith('-') ? undefined : argv[0];
    if (!command) {
      if (argv[0] === '--version' || argv[0] === '-v') {
        io.out(version());
        return 0;
      }
      io.out(USAGE);
      return argv[0] === '--help' || argv[0] === '-h' ? 0 : 1;
    }
    const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!spec) {
      io.err(`unknown command "${command}"\n\n${USAGE}`);
      return 1;
    }
    const { positional: files, flags } = parseCommand(spec, argv.slice(1));
    if (flags.help) {
      io.out(commandHelp(spec));
      return 0;
    }
    const path = (p: string) => resolve(io.cwd, p);
    const flag = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
    const need = (name: string, what: string): string => flag(name) ?? fail(`--${name} <${what}> is required`);
    const fail = (message: string): never => {
      throw new CliError(message);
    };

    /** The --key file, refused when it holds a private key: that one never leaves the signing server. */
    const publicKey = async (): Promise<string> => {
      const file = need('key', 'public key');
      const text = await readFile(path(file), 'utf8');
      if (isPrivateKey(text)) fail(`${file} is a private key; ${command} needs the public key (microseg keygen printed it). Keep the private key on the server that signs.`);
      return text;
    };

    switch (command) {
      case 'validate': {
        if (!files.length) fail('which config? microseg validate <config.json>');
        const key = flag('key') && (await publicKey());
        let bad = 0;
        for (const file of files) {
          const text = await readFile(path(file), 'utf8');
          const problems = await check(text, key || undefined);
          const unchecked = !key && /^\s*\{[^]*"signature"/.test(text) ? ', signature not checked: give --key' : '';
          if (problems.ok) io.out(`ok ${file} (${summary(problems.config)}${unchecked})`);
          else {
            bad++;
            io.err(`${file}: ${problems.errors.length} problem${problems.errors.length === 1 ? '' : 's'}`);
            for (const p of problems.errors) io.err(`  ${p.path || '(config)'}: ${p.message}`);
          }
        }
        return bad ? 1 : 0;
      }

      case 'keygen': {
        const out = flag('out') ?? 'private.pem';
        if (existsSync(path(out)) && !flags.force) fail(`${out} exists; use --force to replace it`);
        const keys = await generateKeys();
        await writeFile(path(out), keys.privatePem, { mode: 0o600 });
        io.err(`wrote the private key to ${out} — keep it secret, never ship it to the browser`);
        io.out(`public key (JWK), for createMicroseg({ publicKey }):\n${JSON.stringify(keys.publicJwk)}\n\npublic key (PEM):\n${keys.publicPem}`);
        return 0;
      }

      case 'sign': {
        const [file] = files;
        if (!file) fail('which config? microseg sign <config.json> --key private.pem');
        const text = await readFile(path(file!), 'utf8');
        const result = await check(text);
        if (!result.ok) {
          io.err(`${file}: not signed, it has ${result.errors.length} problem(s):`);
          for (const p of result.errors) io.err(`  ${p.path || '(config)'}: ${p.message}`);
          return 1;
        }
        const privateKey = await readFile(path(need('key', 'private.pem')), 'utf8');
        // Compact JSON: smaller, and the bytes that are signed are the bytes that are parsed.
        // "$schema" tells an editor where the schema is; it is not part of the published config.
        const { $schema: _hint, ...config } = JSON.parse(text);
        const envelope = await signConfig(JSON.stringify(stampIssued(config, flag('issued'))), privateKey, flag('kid'));
        const json = JSON.stringify(envelope, null, 2) + '\n';
        if (flag('out')) {
          await writeFile(path(flag('out')!), json);
          io.err(`signed ${file} (version ${result.config.version}) → ${flag('out')}`);
        } else io.out(json);
        return 0;
      }

      case 'verify': {
        const [file] = files;
        if (!file) fail('which file? microseg verify <signed.json> --key <public key>');
        const key = await publicKey();
        const result = await check(await readFile(path(file!), 'utf8'), key, true);
        if (!result.ok) {
          for (const p of result.errors) io.err(`${file}: ${p.path ? p.path + ': ' : ''}${p.message}`);
          return 1;
        }
        io.out(`ok ${file}: signature valid (${summary(result.config)})`);
        return 0;
      }

      case 'matrix': {
        const [file] = files;
        if (!file) fail('which config? microseg matrix <config.json> --from YYYY-MM-DD --days N');
        const result = await check(await readFile(path(file!), 'utf8'));
        if (!result.ok) {
          io.err(`${file} has problems; run microseg validate ${file}`);
          return 1;
        }
        const today = new Date(); // the marketer's local date
        const from = flag('from') ?? [today.getFullYear(), today.getMonth() + 1, today.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
        const days = Number(flag('days') ?? 14);
        if (!Number.isInteger(days) || days < 1 || days > 366) fail('--days must be a whole number from 1 to 366');
        let matrix: CampaignMatrix;
        try {
          matrix = campaignMatrix(result.config, { from, days });
        } catch (err) {
          return fail(`--from: ${(err as Error).message}`);
        }
        io.out(flags.json ? JSON.stringify({ version: result.config.version, from, days, ...matrix }, null, 2) : formatMatrix(result.config, matrix));
        return 0;
      }

      case 'schema': {
        const json = JSON.stringify(configJsonSchema(), null, 2) + '\n';
        if (flag('out')) await writeFile(path(flag('out')!), json);
        else io.out(json);
        return 0;
      }

      default:
        return 1;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.err(`microseg: ${err instanceof CliError ? e.message : e.code === 'ENOENT' ? `no such file: ${e.path}` : e.message}`);
    return 1;
  }
}

type Checked = { ok: true; config: MicrosegConfig } | { ok: false; errors: { path: string; message: string }[] };

/** The document with `issued` from --issued ("now" or a whole number), never older than the one it has. */
function stampIssued(doc: { issued?: unknown }, value: string | undefined): object {
  if (value === undefined) return doc;
  const issued = value === 'now' ? Date.now() : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(issued)) throw new CliError(`--issued takes "now" or a whole number ≥ 0, not "${value}"`);
  if (typeof doc.issued === 'number' && issued < doc.issued) throw new CliError(`--issued ${issued} is older than the document's own issued (${doc.issued})`);
  return { ...doc, issued };
}

/** A file's text → its config: JSON, then (for an envelope) the signature, then the contract. */
async function check(text: string, publicKey?: string, mustBeSigned = false): Promise<Checked> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const at = Number(/position (\d+)/.exec((err as Error).message)?.[1] ?? NaN);
    const before = text.slice(0, at).split('\n');
    const where = Number.isNaN(at) ? '' : ` (line ${before.length}, column ${before.at(-1)!.length + 1})`;
    return { ok: false, errors: [{ path: '', message: `not valid JSON${where}: ${(err as Error).message}` }] };
  }
  if (isEnvelope(doc)) {
    try {
      const payload = publicKey ? await verifyEnvelope(doc, publicKey) : doc.payload;
      doc = JSON.parse(payload as string);
    } catch (err) {
      return { ok: false, errors: [{ path: err instanceof SyntaxError ? 'payload' : 'signature', message: (err as Error).message }] };
    }
  } else if (mustBeSigned) {
    return { ok: false, errors: [{ path: '', message: 'not a signed envelope ({"payload", "signature", "alg"})' }] };
  }
  const result = parseConfig(doc);
  if (!result.ok) for (const e of result.errors) e.message = withHint(e.message, doc);
  return result;
}

function summary(c: MicrosegConfig): string {
  const n = (list: unknown[] | undefined, what: string) => `${list?.length ?? 0} ${what}${list?.length === 1 ? '' : 's'}`;
  return `version ${c.version}, ${n(c.segments, 'segment')}, ${n(c.campaigns, 'campaign')}`;
}
