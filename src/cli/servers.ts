import { Command, Option } from 'commander';
import type { ServerJson } from '../api/servers/present';
import {
  apiCommand,
  apiFrom,
  collect,
  nonNegativeInt,
  pathOf,
  positiveInt,
  print,
  readSecret,
  usageError,
  type ApiOptions,
} from './context';
import { fields, table, when } from './output';

/** What the CLI reads from /v1/servers (secrets appear only as has… flags). */
type ServerView = ServerJson;

interface ServerFlags extends ApiOptions {
  name?: string;
  host?: string;
  port?: number;
  username?: string;
  passwordFile?: string;
  privateKeyFile?: string;
  fingerprint?: string;
  remoteDir?: string;
  recursive?: boolean;
  include?: string[];
  exclude?: string[];
  minAge?: number;
  interval?: number;
  bucket?: string;
  keyPrefix?: string;
  afterTransfer?: string;
  archiveDir?: string;
  webhookUrl?: string;
  webhookSecretFile?: string;
  enable?: boolean;
  disable?: boolean;
  smallFiles?: string;
  clear?: string[];
}

/** Fields PATCH may set to null; --clear names them. */
const CLEARABLE = ['password', 'privateKey', 'archiveDir', 'webhookUrl', 'webhookSecret'];

/** The server's fields as options; `add` makes the ones the API requires mandatory. */
function serverOptions(cmd: Command, adding: boolean): Command {
  const must = (flags: string, description: string) =>
    adding ? cmd.requiredOption(flags, description) : cmd.option(flags, description);
  must('--name <name>', 'a unique name');
  must('--host <host>', 'host name or IP address');
  cmd.option('--port <port>', 'SSH port (default 22)', positiveInt);
  must('--username <user>', 'SFTP user');
  cmd.option('--password-file <file>', 'read the SFTP password from FILE ("-": stdin)');
  cmd.option('--private-key-file <file>', 'read the private key (PEM/OpenSSH, no passphrase) from FILE');
  must('--fingerprint <sha256>', 'host key fingerprint, "SHA256:…" (ssh-keygen -lf)');
  cmd.option('--remote-dir <dir>', 'directory to scan (default ".")');
  cmd.option('--recursive', 'scan subdirectories too').option('--no-recursive', 'scan only --remote-dir');
  cmd.option('--include <glob>', 'only files matching (repeatable)', collect);
  cmd.option('--exclude <glob>', 'skip files matching (repeatable)', collect);
  cmd.option('--min-age <seconds>', 'leave files younger than this (default 60)', nonNegativeInt);
  cmd.option('--interval <seconds>', 'seconds between scans (default 300)', positiveInt);
  must('--bucket <bucket>', 'destination bucket');
  cmd.option('--key-prefix <prefix>', 'prefix of the object keys');
  cmd.addOption(
    new Option('--after-transfer <action>', 'what happens to the remote file').choices([
      'keep',
      'delete',
      'move',
    ]),
  );
  cmd.option('--archive-dir <dir>', 'where --after-transfer move puts files');
  cmd.option('--webhook-url <url>', 'called after each transfer');
  cmd.option('--webhook-secret-file <file>', 'read the webhook HMAC secret from FILE ("-": stdin)');
  cmd.addOption(new Option('--small-files <lane>', 'how small files travel').choices(['workflow', 'batch']));
  cmd.addOption(new Option('--enable', 'scan on schedule').conflicts('disable'));
  cmd.option('--disable', 'registered, but not scanned');
  if (!adding) cmd.option('--clear <field>', `set to null: ${CLEARABLE.join(', ')} (repeatable)`, collect);
  return cmd;
}

/** The POST or PATCH body; secrets come from files or stdin. */
async function serverBody(f: ServerFlags): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {
    name: f.name,
    host: f.host,
    port: f.port,
    username: f.username,
    hostKeyFingerprint: f.fingerprint,
    remoteDir: f.remoteDir,
    recursive: f.recursive,
    include: f.include,
    exclude: f.exclude,
    minAgeSeconds: f.minAge,
    scanIntervalSeconds: f.interval,
    bucket: f.bucket,
    keyPrefix: f.keyPrefix,
    afterTransfer: f.afterTransfer,
    archiveDir: f.archiveDir,
    webhookUrl: f.webhookUrl,
    smallFiles: f.smallFiles,
    enabled: f.enable ? true : f.disable ? false : undefined,
  };
  if (f.passwordFile) body.password = await readSecret(f.passwordFile, 'the SFTP password');
  if (f.privateKeyFile) body.privateKey = await readSecret(f.privateKeyFile, 'the private key', false);
  if (f.webhookSecretFile) body.webhookSecret = await readSecret(f.webhookSecretFile, 'the webhook secret');
  for (const field of f.clear ?? []) {
    if (!CLEARABLE.includes(field)) throw usageError(`--clear takes one of ${CLEARABLE.join(', ')}`);
    body[field] = null;
  }
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function describeServer(s: ServerView): string {
  const credentials = [s.hasPassword && 'password', s.hasPrivateKey && 'private key'].filter(Boolean);
  return fields([
    ['server', s.id],
    ['name', s.name],
    ['address', `${s.username}@${s.host}:${s.port}`],
    ['auth', credentials.join(' + ')],
    ['fingerprint', s.hostKeyFingerprint],
    ['remote dir', `${s.remoteDir}${s.recursive ? ' (recursive)' : ''}`],
    ['include', s.include.join(' ')],
    ['exclude', s.exclude.join(' ')],
    ['destination', `s3://${s.bucket}/${s.keyPrefix}`],
    ['after', s.afterTransfer === 'move' ? `move to ${s.archiveDir}` : s.afterTransfer],
    [
      'scans',
      s.enabled ? `every ${s.scanIntervalSeconds}s, files older than ${s.minAgeSeconds}s` : 'disabled',
    ],
    ['small files', s.smallFiles],
    ['webhook', s.webhookUrl],
    ['schedule', s.scheduleId],
    ['created', when(s.createdAt)],
  ]);
}

const listTable = (servers: ServerView[]): string =>
  table(
    ['ID', 'NAME', 'ADDRESS', 'REMOTE DIR', 'BUCKET', 'SCANS'],
    servers.map((s) => [
      s.id,
      s.name,
      `${s.username}@${s.host}:${s.port}`,
      s.remoteDir,
      s.bucket,
      s.enabled ? `${s.scanIntervalSeconds}s` : 'disabled',
    ]),
  );

export function serversCommand(): Command {
  const servers = new Command('servers').description('register and manage SFTP servers');

  apiCommand(servers, 'list', 'list registered servers').action(async (o: ApiOptions) => {
    const page = await (await apiFrom(o)).json<{ servers: ServerView[] }>('GET', '/v1/servers');
    print(o, page.servers, listTable);
  });

  apiCommand(servers, 'show <id>', 'show one server').action(async (id: string, o: ApiOptions) => {
    print(o, await (await apiFrom(o)).json<ServerView>('GET', pathOf('servers', id)), describeServer);
  });

  const add = apiCommand(servers, 'add', 'register a server (its scans start on schedule)');
  serverOptions(add, true).action(async (o: ServerFlags) => {
    const api = await apiFrom(o);
    print(o, await api.json<ServerView>('POST', '/v1/servers', await serverBody(o)), describeServer);
  });

  const update = apiCommand(servers, 'update <id>', "change some of a server's fields");
  serverOptions(update, false).action(async (id: string, o: ServerFlags) => {
    const body = await serverBody(o);
    if (Object.keys(body).length === 0) throw usageError('nothing to update: pass at least one field');
    const api = await apiFrom(o);
    print(o, await api.json<ServerView>('PATCH', pathOf('servers', id), body), describeServer);
  });

  apiCommand(servers, 'remove <id>', 'delete a server and its schedule').action(
    async (id: string, o: ApiOptions) => {
      await (await apiFrom(o)).json<void>('DELETE', pathOf('servers', id));
      print(o, { id, removed: true }, () => `removed server ${id}`);
    },
  );

  apiCommand(servers, 'scan <id>', 'scan a server now (joins a scan already running)').action(
    async (id: string, o: ApiOptions) => {
      const api = await apiFrom(o);
      const scan = await api.json<{ workflowId: string; runId: string }>(
        'POST',
        pathOf('servers', id, '/scan'),
      );
      print(o, scan, (s) => `scan ${s.workflowId} started (run ${s.runId})`);
    },
  );

  return servers;
}
