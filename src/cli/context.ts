import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, type CommandOptions } from 'commander';
import { FerryApi } from './client';

/** Exit codes, documented in docs/cli.md. */
export const Exit = { ok: 0, jobFailed: 1, usage: 2, api: 3, notFound: 4 } as const;

/** An error that ends the command with its own exit code and message. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(message, Exit.usage);

/** The options every command that calls the API takes. */
export interface ApiOptions {
  api?: string;
  tokenFile?: string;
  json?: boolean;
}

/** A subcommand of `parent` with the API options (--api, --token-file, --json). */
export function apiCommand(
  parent: Command,
  nameAndArgs: string,
  description: string,
  options?: CommandOptions,
): Command {
  return parent
    .command(nameAndArgs, options)
    .description(description)
    .option('--api <url>', 'API base URL (default $FERRY_API_URL, else http://127.0.0.1:8080)')
    .option('--token-file <file>', 'read the API token from FILE, "-" for stdin (default $FERRY_API_TOKEN)')
    .option('--json', 'print JSON for scripts instead of text');
}

let stdinUsedFor: string | null = null;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A secret read from a file, or from stdin for "-", never from argv (argv shows in `ps`).
 * `line`: one line (a token, a password), its trailing newline dropped.
 */
export async function readSecret(file: string, what: string, line = true): Promise<string> {
  let text: string;
  if (file === '-') {
    if (stdinUsedFor) throw usageError(`stdin already holds ${stdinUsedFor}; read ${what} from a file`);
    stdinUsedFor = what;
    text = await readStdin();
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read ${what} from ${file}: ${(err as Error).message}`);
    }
  }
  const value = line ? text.replace(/\r?\n$/, '') : text;
  if (!value) throw usageError(`${what} read from ${file === '-' ? 'stdin' : file} is empty`);
  return value;
}

export async function apiFrom(o: ApiOptions): Promise<FerryApi> {
  const token = o.tokenFile ? await readSecret(o.tokenFile, 'the API token') : process.env.FERRY_API_TOKEN;
  if (!token) throw new CliError('no API token: set FERRY_API_TOKEN or pass --token-file FILE', Exit.api);
  return new FerryApi(o.api ?? process.env.FERRY_API_URL ?? 'http://127.0.0.1:8080', token);
}

/** JSON for scripts (--json), else the text for people. */
export function print<T>(o: ApiOptions, value: T, human: (v: T) => string): void {
  console.log(o.json ? JSON.stringify(value) : human(value));
}

/** commander argument parser for counts and sizes. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer ≥ 0');
  return n;
}

/** commander collector for repeatable options (--include a --include b). */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** `/v1/<collection>/<id>`, the ID escaped. */
export const pathOf = (collection: string, id: string, tail = ''): string =>
  `/v1/${collection}/${encodeURIComponent(id)}${tail}`;
