/**
 * The command line of every workshop CLI (start, verify, workshop, grade, mutation, pristine),
 * one way: `--lang` picks the language (else LC_ALL, LC_MESSAGES, LANG), `--help` / `-h` (and
 * a `help` verb where there are verbs) prints the usage in that language and exits 0; an
 * unknown option, a missing or unwanted value, or an extra argument prints one line saying so,
 * then the usage, to stderr, and exits 2. Never a stack trace.
 *
 * Node's parseArgs does the splitting (non-strict, with tokens); the checks are ours, so that
 * the messages are the catalog's and not Node's English with its error codes.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { languageFor, languages, resolveLanguage, translator, type Language, type Translate } from '../i18n/index.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly default?: string | boolean;
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean : O[K]['default'] extends string ? string : string | undefined;
} & { lang: string | undefined; help: boolean };

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** The command's own options; `--lang` and `--help`/`-h` are added to every command. */
  readonly options: O;
  /** How many positional arguments the command takes at most (default 0). */
  readonly maxPositionals?: number;
  /** A first positional `help` asks for the usage too (the default; false where `help` could be a real argument). */
  readonly helpVerb?: boolean;
  /** The usage, in the chosen language. */
  usage(t: Translate): string;
}

export interface Command<O extends Record<string, OptionSpec>> {
  readonly values: Values<O>;
  readonly positionals: string[];
  readonly language: Language;
  readonly t: Translate;
  /** Prints `message` and the usage to stderr and exits 2: the way every wrong argument ends. */
  fail(message: string): never;
}

/** The same rule as `fail`, for code that throws (e.g. a verb's own check deep in a call). */
export class UsageError extends Error {}

const common = {
  lang: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

/** `--lang` as given, if any (`--lang X` or `--lang=X`), read before anything else is checked. */
function langFlag(args: readonly string[]): string | undefined {
  let found: string | undefined;
  for (const [index, arg] of args.entries()) {
    if (arg === '--') break;
    if (arg.startsWith('--lang=')) found = arg.slice('--lang='.length);
    else if (arg === '--lang' && args[index + 1] !== undefined && !args[index + 1]!.startsWith('-')) found = args[index + 1];
  }
  return found;
}

/**
 * Parses `args` for a command and deals with help and wrong arguments itself (printing and
 * exiting); returns what the command needs: its option values, positionals, and a translator.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(
  args: readonly string[],
  spec: CommandSpec<O>,
  env: Record<string, string | undefined> = process.env,
): Command<O> {
  const flag = langFlag(args);
  const language = resolveLanguage(flag) ?? languageFor(undefined, env);
  const t = translator(language);
  const usage = (): string => spec.usage(t);
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${usage()}\n`);
    process.exit(2);
  };
  const options = { ...spec.options, ...common } as Record<string, OptionSpec>;
  const { values, positionals, tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });

  // Help comes first: `verify 3 --help --nonsense` still shows the usage.
  if (values.help === true || ((spec.helpVerb ?? true) && positionals[0] === 'help')) {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (!option) fail(t('cli:args.unknownOption', { option: token.rawName }));
    else if (option.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
      fail(t('cli:args.needsValue', { option: token.rawName }));
    } else if (option.type === 'boolean' && token.value !== undefined) fail(t('cli:args.takesNoValue', { option: token.rawName }));
  }
  if (flag !== undefined && !resolveLanguage(flag)) fail(t('cli:args.badLanguage', { value: flag, languages: languages.join(', ') }));
  if (typeof values.lang === 'string' && !resolveLanguage(values.lang)) fail(t('cli:args.badLanguage', { value: values.lang, languages: languages.join(', ') }));
  const extra = positionals.slice(spec.maxPositionals ?? 0);
  if (extra.length > 0) fail(t('cli:args.unexpected', { argument: extra[0] }));
  return { values: values as Values<O>, positionals, language, t, fail };
}

/**
 * For a command's main(): a UsageError thrown on the way becomes `fail` (one line, the
 * usage, exit 2); anything else is a bug of the workshop, printed as such, exit 70.
 */
export function runMain(main: () => Promise<number | void>, command: { fail(message: string): never }): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError) command.fail(error.message);
      console.error(error);
      process.exitCode = 70;
    },
  );
}

