// The door: validates every request against its zod schema, then calls the handler.
// A bad request gets a typed 'bad_request' error; a thrown error becomes a typed error, never a crash.
import type { z } from 'zod'
import {
  LabError,
  requestSchemas,
  toErrorPayload,
  type MethodName,
  type ParsedRequestOf,
  type ResponseOf,
  type WireResponse
} from '../../shared/api'

export type Handlers = { [M in MethodName]: (request: ParsedRequestOf<M>) => Promise<ResponseOf<M>> }

function describeIssue(method: string, issue: z.core.$ZodIssue): LabError {
  const field = issue.path.map(String).join('.')
  const where = field ? `field "${field}"` : 'the request'
  return new LabError('bad_request', `Bad request to ${method}: ${where} ${lowerFirst(issue.message)}.`, field || undefined)
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0].toLowerCase() + s.slice(1) : s
}

export function isMethodName(method: unknown): method is MethodName {
  return typeof method === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, method)
}

/** Validate and run one call; never throws. */
export async function dispatch(handlers: Handlers, id: number, method: unknown, params: unknown): Promise<WireResponse> {
  try {
    if (!isMethodName(method)) {
      throw new LabError('bad_request', `Unknown LabApi method ${JSON.stringify(method)}; the lab may be older than the window talking to it.`)
    }
    const schema = requestSchemas[method] as z.ZodType
    const parsed = schema.safeParse(params ?? {})
    if (!parsed.success) throw describeIssue(method, parsed.error.issues[0])
    const handler = handlers[method] as (req: unknown) => Promise<unknown>
    const result = await handler(parsed.data)
    return { id, ok: true, result: result === undefined ? null : result }
  } catch (e) {
    if (!(e instanceof LabError)) console.error(`[lab] ${String(method)} failed:`, e)
    return { id, ok: false, error: toErrorPayload(e) }
  }
}
