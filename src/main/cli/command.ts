// The shape of a CLI command and the context it runs in.
import type { ParseArgsConfig } from 'node:util'
import type { MethodName, RequestOf, ResponseOf } from '../../shared/api'
import type { Lab } from '../lab'
import type { Output } from './output'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

export interface CommandContext {
  /** Options after parsing (global and the command's own). */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
  out: Output
  /** Opens the lab on first use (commands like --help never open the store). */
  lab(): Promise<Lab>
  /** Call the LabApi exactly as the window does (validation included). */
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>
  /** Aborted on Ctrl-C. */
  signal: AbortSignal
}

export interface Command {
  /** e.g. 'jobs demo' */
  name: string
  summary: string
  /** e.g. 'proxyless-lab jobs cancel JOB_ID' */
  usage: string
  options?: OptionSpec
  /** Longer help text (examples). */
  details?: string
  run(ctx: CommandContext): Promise<number>
}

/** Thrown for bad command-line use: exit code 2 with the message and the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
