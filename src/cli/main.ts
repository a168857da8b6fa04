import { Command, CommanderError } from 'commander';
import { ApiError } from './client';
import { CliError, Exit } from './context';
import { addExportCommand } from './export';
import { jobsCommand } from './jobs';
import { serversCommand } from './servers';
import { transfersCommand } from './transfers';
import { addUploadCommands } from './uploads';

const EPILOG = `
The API: --api URL or $FERRY_API_URL; the token: $FERRY_API_TOKEN or --token-file FILE ("-" reads stdin).
Secrets are never taken from the command line.

Exit codes: 0 ok, 1 the job failed (or was cancelled), 2 usage error, 3 API error (unreachable,
no or wrong token, request refused), 4 not found.`;

/** The whole command tree: `ferry --help` and every `ferry <cmd> --help` come from it. */
export function buildProgram(): Command {
  const program = new Command('ferry')
    .description('Ferry: durable file transfers between SFTP servers and S3, on Temporal')
    .addHelpText('after', EPILOG)
    .showSuggestionAfterError();
  program.addCommand(serversCommand());
  program.addCommand(transfersCommand());
  addUploadCommands(program);
  addExportCommand(program);
  program.addCommand(jobsCommand());
  // Errors come back to main() as exceptions instead of ending the process from inside commander.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride();
  return program;
}

/** The exit code for an error that ended a command (docs/cli.md). */
function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ApiError) return err.status === 404 ? Exit.notFound : Exit.api;
  // A file named on the command line that cannot be read.
  if ((err as NodeJS.ErrnoException).syscall !== undefined) return Exit.usage;
  return Exit.jobFailed;
}

/** Runs one CLI command; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Exit.ok;
  } catch (err) {
    // commander has printed its own message (or the help, which exits 0).
    if (err instanceof CommanderError) return err.exitCode === 0 ? Exit.ok : Exit.usage;
    if ((err as Error).message) console.error(`ferry: ${(err as Error).message}`);
    return exitCodeOf(err);
  }
}
