// The command line: `proxyless-lab <command> [options]`. Every command goes through the same Lab and LabApi
// handlers as the window, so the CLI, the window and the API share one implementation.
import { parseArgs } from 'node:util'
import { LabError, toErrorPayload, type MethodName, type RequestOf, type ResponseOf } from '../shared/api'
import { dispatch } from './api/dispatch'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type CommandContext, type OptionSpec } from './cli/command'
import { createOutput } from './cli/output'
import { compareCommands } from './cli/compare-commands'
import { coreCommands } from './cli/core-commands'
import { deviceCommands } from './cli/device-commands'
import { searchCommands } from './cli/search-commands'
import { modelCommands } from './cli/model-commands'
import { profileCommands } from './cli/profile-commands'
import { quantizeCommands } from './cli/quantize-commands'
import { createLab, type Lab } from './lab'

export const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean', default: false },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false }
}

export function allCommands(): Command[] {
  return [...coreCommands, ...deviceCommands, ...modelCommands, ...compareCommands, ...profileCommands, ...searchCommands, ...quantizeCommands]
}

function findCommand(commands: Command[], args: string[]): { command: Command; rest: string[] } | null {
  // Longest match first: 'jobs demo' before 'jobs'.
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
  for (const command of sorted) {
    const words = command.name.split(' ')
    if (words.every((w, i) => args[i] === w)) return { command, rest: args.slice(words.length) }
  }
  return null
}

export function generalHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return [
    'Proxyless Lab: design neural networks that are fast on a real phone.',
    '',
    'Usage: proxyless-lab <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options for every command:',
    '  --json            print one JSON document on stdout (progress and notes go to stderr)',
    '  --data-dir DIR    use this data folder instead of the platform user data folder',
    '  -h, --help        show help for a command',
    '',
    'Exit codes: 0 success, 1 the work failed or was cancelled, 2 bad command-line use.'
  ].join('\n')
}

function commandHelp(command: Command): string {
  const own = Object.entries(command.options ?? {}).map(([name, spec]) => `  --${name}${spec.type === 'string' ? ' VALUE' : ''}${spec.multiple ? ' (repeatable)' : ''}`)
  return [`Usage: ${command.usage}`, '', command.summary, ...(command.details ? ['', command.details] : []), ...(own.length ? ['', 'Options:', ...own] : []), '', 'Also: --json, --data-dir DIR, --help'].join('\n')
}

export async function runCli(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const commands = allCommands()
  const wantsJson = argv.includes('--json')
  const out = createOutput(wantsJson, io.stdout, io.stderr)
  const positionalsFirst = argv.filter((a) => !a.startsWith('-'))
  if (argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h'))) {
    io.stdout.write(generalHelp(commands) + '\n')
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK
  }
  if (argv[0] === 'help') {
    const found = findCommand(commands, argv.slice(1))
    io.stdout.write((found ? commandHelp(found.command) : generalHelp(commands)) + '\n')
    return EXIT_OK
  }
  const found = findCommand(commands, argv)
  if (!found) {
    out.error(`Unknown command "${positionalsFirst.join(' ') || argv[0]}". Run "proxyless-lab --help" for the list of commands.`)
    return EXIT_USAGE
  }
  const { command, rest } = found
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...(command.options ?? {}) }, allowPositionals: true, strict: true })
  } catch (e) {
    out.error(`${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')}\n\n${commandHelp(command)}`)
    return EXIT_USAGE
  }
  if (parsed.values.help) {
    io.stdout.write(commandHelp(command) + '\n')
    return EXIT_OK
  }

  let lab: Lab | null = null
  let labPromise: Promise<Lab> | null = null
  const abort = new AbortController()
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130)
    out.error('Cancelling… (press Ctrl-C again to quit at once)')
    abort.abort()
  }
  process.on('SIGINT', onSigint)
  const ctx: CommandContext = {
    values: parsed.values as CommandContext['values'],
    positionals: parsed.positionals,
    out,
    signal: abort.signal,
    lab: () => {
      const adb = parsed.values.adb as string[] | undefined
      labPromise ??= createLab({ mode: 'cli', devices: 'lazy', adbServers: adb ?? [], dataDir: (parsed.values['data-dir'] as string | undefined) ?? null }).then(
        (l) => (lab = l)
      )
      return labPromise
    },
    async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
      const l = await ctx.lab()
      const response = await dispatch(l.handlers, 0, method, request)
      if (!response.ok) throw LabError.fromPayload(response.error)
      return response.result as ResponseOf<M>
    }
  }
  try {
    return await command.run(ctx)
  } catch (e) {
    if (e instanceof UsageError) {
      out.error(`${e.message}\n\n${commandHelp(command)}`)
      return EXIT_USAGE
    }
    const payload = toErrorPayload(e)
    if (wantsJson) io.stdout.write(JSON.stringify({ error: payload }, null, 2) + '\n')
    out.error(`Error: ${payload.message}`)
    if (payload.code === 'internal' && e instanceof Error && process.env.PROXYLESS_LAB_DEBUG) out.error(e.stack ?? '')
    return payload.code === 'bad_request' ? EXIT_USAGE : EXIT_FAILED
  } finally {
    process.off('SIGINT', onSigint)
    // Assigned inside closures, so TypeScript cannot see they may be set here.
    const pending = labPromise as Promise<Lab> | null
    if (pending) await pending.catch(() => null)
    const opened = lab as Lab | null
    if (opened) await opened.close()
  }
}

export function main(argv: string[]): void {
  runCli(argv).then(
    (code) => {
      process.exitCode = code
    },
    (e) => {
      console.error('proxyless-lab crashed:', e)
      process.exitCode = EXIT_FAILED
    }
  )
}

export { EXIT_OK, EXIT_FAILED, EXIT_USAGE }
