/** Shared CLI plumbing: exit codes, usage errors, option parsing on node:util parseArgs. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Process exit codes of every featcache command. */
export const ExitCode = {
  OK: 0,
  /** Something failed (a file, the server, Redis). */
  FAILURE: 1,
  /** The command line was wrong. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A wrong command line: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A subcommand: its help text and its runner (argv after the subcommand name). */
export interface Command {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;
/** What parse() returns for the options `O`: typed values and the positionals. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** parseArgs in strict mode; its errors become UsageError. */
export function parse<O extends Options>(argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The `-h, --help` option every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** parse(); with --help, prints `help` and returns undefined (the command then exits 0). */
export function parseOrHelp<O extends Options>(argv: string[], options: O, help: string): Parsed<O> | undefined {
  const parsed = parse(argv, options);
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return undefined;
  }
  return parsed;
}

/** A positive integer option (undefined stays undefined). */
export function intOption(name: string, value: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
