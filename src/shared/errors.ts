// Typed errors that cross the LabApi door. The message is a sentence a person can act on.
export type LabErrorCode =
  | 'bad_request' // the request does not match the contract
  | 'not_found' // a named thing (job, device, run, file) does not exist
  | 'conflict' // the request clashes with the current state (e.g. cancelling a finished job)
  | 'device_unavailable' // the device is offline, unauthorized or gone
  | 'tool_missing' // a needed program (adb, benchmark_model) is not available
  | 'invalid_file' // a file could not be parsed
  | 'cancelled' // the work was cancelled by a person
  | 'unauthorized' // the transport refused the caller (wrong token or origin)
  | 'internal' // a bug: the message says what failed

export interface LabErrorPayload {
  code: LabErrorCode
  message: string
  /** Path of the offending request field, for bad_request. */
  field?: string
}

export class LabError extends Error {
  readonly code: LabErrorCode
  readonly field?: string
  constructor(code: LabErrorCode, message: string, field?: string) {
    super(message)
    this.name = 'LabError'
    this.code = code
    this.field = field
  }
  toPayload(): LabErrorPayload {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field }
  }
  static fromPayload(p: LabErrorPayload): LabError {
    return new LabError(p.code, p.message, p.field)
  }
}

export function isLabError(e: unknown): e is LabError {
  return e instanceof LabError
}

/** Any thrown value as a payload; unknown errors become 'internal' with their message kept. */
export function toErrorPayload(e: unknown): LabErrorPayload {
  if (e instanceof LabError) return e.toPayload()
  const message = e instanceof Error ? e.message : String(e)
  return { code: 'internal', message: `Internal error: ${message}` }
}
