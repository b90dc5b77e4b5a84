// Parser for the text the TFLite `benchmark_model` tool prints, across TFLite versions (1.14 .. 2.x):
// plain lines, `INFO: ` prefixes, logcat prefixes (`05-30 13:04:39.021 25935 25935 I tflite  : ...`), tab- or
// space-separated op-profiling tables with or without the [start] / [mem KB] / [times called] columns.
import type { LatencyStats, MemoryFootprint, OpTiming } from '../../../shared/contract/measure'
import { LabError } from '../../../shared/errors'

export interface ParsedBenchmark {
  /** e.g. '2.16.1' when the tool printed its version, else null. */
  toolVersion: string | null
  initMs: number | null
  firstMs: number | null
  warmup: LatencyStats | null
  steady: LatencyStats
  ops: OpTiming[]
  /** Per node type, from the "Summary by node type" table (empty without op profiling). */
  opSummary: OpTiming[]
  memory: MemoryFootprint
  /** Delegate fallbacks and similar things the person should know. */
  warnings: string[]
  /** Error lines the tool printed (a failed run usually has some). */
  errors: string[]
}

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`
const NUMBER_RE = new RegExp(`^${NUMBER}%?$`)

/** Strip logcat / INFO: style prefixes; keep the message text (tabs kept). */
export function stripLinePrefix(line: string): string {
  let s = line.replace(/\r$/, '')
  // logcat threadtime: "05-30 13:04:39.021 25935 25935 I tflite  : msg"; brief: "I/tflite  ( 1234): msg"
  s = s.replace(/^\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+[VDIWEF]\s+[^:]*?\s*: ?/, '')
  s = s.replace(/^[VDIWEF]\/[^(:]+\(\s*\d+\):\s?/, '')
  // Apple/other host log stamps: "2020-10-28 14:41:14.151361+0800 App[1:2] msg"
  s = s.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d{4} \S+\[\d+:\d+\] /, '')
  s = s.replace(/^(INFO|WARNING|ERROR|VERBOSE|DEBUG): ?/, (m) => (m.startsWith('INFO') || m.startsWith('VERBOSE') || m.startsWith('DEBUG') ? '' : m))
  return s
}

function toNumber(text: string): number {
  return Number(text.replace(/%$/, ''))
}

const usToMs = (us: number): number => us / 1000

/** `count=50 first=22436 curr=22284 min=21998 max=23455 avg=22359.6 std=291 [p5=.. median=.. p95=..]` (µs). */
export function parseStatLine(text: string): LatencyStats | null {
  const fields = new Map<string, number>()
  for (const m of text.matchAll(new RegExp(`([A-Za-z][A-Za-z0-9_]*)=(${NUMBER}|nan|inf|-?inf)`, 'g'))) {
    fields.set(m[1].toLowerCase(), Number(m[2]))
  }
  const count = fields.get('count')
  if (count === undefined || !Number.isFinite(count)) return null
  if (count === 0) return null
  const avg = fields.get('avg')
  if (avg === undefined || !Number.isFinite(avg)) return null
  const opt = (key: string): number | null => {
    const v = fields.get(key)
    return v === undefined || !Number.isFinite(v) ? null : usToMs(v)
  }
  const percentilesMs: Record<string, number> = {}
  for (const [key, value] of fields) {
    const p = /^p(\d+(?:\.\d+)?)$/.exec(key)
    if (p && Number.isFinite(value)) percentilesMs[p[1]] = usToMs(value)
  }
  const median = opt('median') ?? (percentilesMs['50'] ?? null)
  if (median !== null) percentilesMs['50'] = median
  return {
    count,
    meanMs: usToMs(avg),
    stdMs: opt('std'),
    minMs: opt('min'),
    maxMs: opt('max'),
    medianMs: median,
    percentilesMs
  }
}

// Messages that mean a delegate did not run (all of) the model, or the run is otherwise suspect.
const WARNING_PATTERNS: RegExp[] = [
  /will not be executed by the delegate/i,
  /partially executed by the delegate/i,
  /Following operations are not supported by (?:the )?GPU delegate/i,
  /operations will run on the CPU/i,
  /Fall(?:ing|s)? back to/i,
  /fell back/i,
  /Failed to (?:create|apply|initialize|modify graph with) .*delegate/i,
  /delegate.* (?:is|are) not supported/i,
  /not supported by (?:the )?(?:GPU|NNAPI|Hexagon)/i,
  /NNAPI (?:delegate )?(?:is )?not (?:available|supported)/i,
  /Unconsumed cmdline flags/i,
  /Operation is not supported/i,
  /^WARNING: /,
  /throttl/i,
  /Replacing \d+ out of \d+ node\(s\) with delegate/i
]
const ERROR_PATTERNS: RegExp[] = [
  /^ERROR: /,
  /^Error: /,
  /Benchmarking failed/i,
  /Failed to (?:mmap|load|read|open|allocate|invoke)/i,
  /Could not (?:open|load|read|find)/i,
  /Aborted|Segmentation fault|CANNOT LINK EXECUTABLE|not executable|Permission denied|inaccessible or not found|No such file/i,
  /Model is not valid|not a valid|didn't find op for builtin opcode|Encountered unresolved custom op/i
]

interface Table {
  kind: 'run-order' | 'top' | 'summary'
  section: 'init' | 'regular'
  headers: string[]
  rows: string[][]
}

function parseHeader(text: string): string[] | null {
  const headers = [...text.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1].trim().toLowerCase())
  return headers.length >= 3 ? headers : null
}

/** Split a table row into header-aligned cells; tolerant to tabs replaced by spaces (logcat) and spaces in names. */
function splitRow(text: string, headers: string[]): string[] | null {
  const hasName = headers[headers.length - 1] === 'name'
  const numericCount = headers.length - 1 - (hasName ? 1 : 0)
  const tabCells = text.split('\t').map((c) => c.trim()).filter((c) => c !== '')
  if (tabCells.length === headers.length && tabCells.slice(1, 1 + numericCount).every((c) => NUMBER_RE.test(c))) {
    return tabCells
  }
  const tokens = text.trim().split(/\s+/)
  for (let i = 1; i + numericCount <= tokens.length; i++) {
    const numeric = tokens.slice(i, i + numericCount)
    if (!numeric.every((t) => NUMBER_RE.test(t))) continue
    const name = tokens.slice(i + numericCount).join(' ')
    if (hasName && name === '') continue
    if (!hasName && name !== '') continue
    return [tokens.slice(0, i).join(' '), ...numeric, ...(hasName ? [name] : [])]
  }
  return null
}

function unbracket(name: string): string {
  return name.replace(/^\[(.*)\]$/, '$1')
}

function rowToOp(table: Table, cells: string[], index: number | null): OpTiming | null {
  const col = (name: string): string | null => {
    const i = table.headers.indexOf(name)
    return i >= 0 && i < cells.length ? cells[i] : null
  }
  const num = (name: string): number | null => {
    const v = col(name)
    return v === null ? null : toNumber(v)
  }
  const avgMs = num('avg ms')
  if (avgMs === null || !Number.isFinite(avgMs)) return null
  const nodeType = cells[0]
  const name = table.kind === 'summary' ? nodeType : unbracket(col('name') ?? nodeType)
  const times = num('times called')
  return {
    index,
    nodeType,
    name,
    firstMs: num('first'),
    avgMs,
    percent: num('%') ?? num('avg %'),
    timesCalled: times === null ? (table.kind === 'summary' ? num('count') : null) : times,
    source: /^Delegate\//.test(name) ? 'delegate' : 'tflite'
  }
}

/** Parse the whole output of one benchmark_model run. Throws LabError('invalid_file') when no timing is found. */
export function parseBenchmarkOutput(text: string): ParsedBenchmark {
  const lines = text.replace(/\r\n/g, '\n').split('\n').map(stripLinePrefix)
  const statLines: LatencyStats[] = []
  const warnings: string[] = []
  const errors: string[] = []
  const tables: Table[] = []
  const memory: MemoryFootprint = { initMb: null, overallMb: null, peakMb: null }
  let toolVersion: string | null = null
  let initMs: number | null = null
  let initSessionMs: number | null = null
  let firstMs: number | null = null
  let warmupAvgMs: number | null = null
  let inferenceAvgMs: number | null = null
  let section: 'init' | 'regular' = 'regular'
  let current: Table | null = null
  let sawStatCount = 0

  for (const raw of lines) {
    const line = raw.trim()
    if (line === '') {
      current = null
      continue
    }
    // Table handling first: rows look like nothing else.
    const tableTitle = /^=+\s*(Run Order|Top by Computation Time|Top by Memory Use|Summary by node type)\s*=+$/i.exec(line)
    if (tableTitle) {
      const title = tableTitle[1].toLowerCase()
      current =
        title === 'run order'
          ? { kind: 'run-order', section, headers: [], rows: [] }
          : title.startsWith('top by computation')
            ? { kind: 'top', section, headers: [], rows: [] }
            : title.startsWith('summary')
              ? { kind: 'summary', section, headers: [], rows: [] }
              : null
      if (current) tables.push(current)
      continue
    }
    if (/^Profiling Info for Benchmark Initialization/i.test(line)) {
      section = 'init'
      current = null
      continue
    }
    if (/^Operator-wise Profiling Info for Regular Benchmark Runs/i.test(line)) {
      section = 'regular'
      current = null
      continue
    }
    if (current) {
      if (current.headers.length === 0) {
        const headers = parseHeader(line)
        if (headers) {
          current.headers = headers
          continue
        }
        current = null
      } else {
        const cells = splitRow(raw, current.headers)
        if (cells) {
          current.rows.push(cells)
          continue
        }
        current = null
      }
    }

    const version = /(?:TensorFlow Lite|TfLite|TFLite) (?:runtime )?version:?\s*\[?v?(\d+\.\d+(?:\.\d+)?[\w.-]*)/i.exec(line)
    if (version) toolVersion = version[1]

    if (/^count=/.test(line)) {
      sawStatCount++
      const stat = parseStatLine(line)
      if (stat) statLines.push(stat)
      else if (/^count=0\b/.test(line)) statLines.push({ count: 0, meanMs: NaN, stdMs: null, minMs: null, maxMs: null, medianMs: null, percentilesMs: {} })
      continue
    }
    const timings = /^Inference timings in us:\s*(.*)$/i.exec(line)
    if (timings) {
      for (const m of timings[1].matchAll(new RegExp(`([A-Za-z][A-Za-z ()]*?):\\s*(${NUMBER})`, 'g'))) {
        const key = m[1].trim().toLowerCase()
        const ms = usToMs(Number(m[2]))
        if (key === 'init') initMs = ms
        else if (key === 'first inference') firstMs = ms
        else if (key.startsWith('warmup')) warmupAvgMs = ms
        else if (key.startsWith('inference')) inferenceAvgMs = ms
      }
      continue
    }
    const session = new RegExp(`^Initialized session in (${NUMBER})\\s*ms`, 'i').exec(line)
    if (session) {
      initSessionMs = Number(session[1])
      continue
    }
    const delta = new RegExp(`^(?:Memory footprint delta from the start of the tool|Peak memory footprint) \\(MB\\):\\s*init=(${NUMBER})\\s+overall=(${NUMBER})`, 'i').exec(line)
    if (delta) {
      memory.initMb = Number(delta[1])
      memory.overallMb = Number(delta[2])
      continue
    }
    const peak = new RegExp(`^Overall peak memory footprint \\(MB\\) via periodic monitoring:\\s*(${NUMBER})`, 'i').exec(line)
    if (peak) {
      memory.peakMb = Number(peak[1])
      continue
    }
    if (/^Note: as the benchmark tool itself affects memory footprint/i.test(line)) continue
    const message = line.replace(/^(?:ERROR|WARNING): /, '')
    if (WARNING_PATTERNS.some((re) => re.test(line))) warnings.push(message)
    else if (ERROR_PATTERNS.some((re) => re.test(line))) errors.push(message)
  }

  // The first standalone stat line is the warm-up loop, the second the regular runs (older tools print the same).
  let warmup: LatencyStats | null = null
  let steady: LatencyStats | null = null
  if (statLines.length >= 2) {
    warmup = statLines[0].count > 0 ? statLines[0] : null
    steady = statLines[1].count > 0 ? statLines[1] : null
  } else if (statLines.length === 1 && statLines[0].count > 0) {
    steady = statLines[0]
  }
  if (!steady && inferenceAvgMs !== null && Number.isFinite(inferenceAvgMs)) {
    steady = { count: 0, meanMs: inferenceAvgMs, stdMs: null, minMs: null, maxMs: null, medianMs: null, percentilesMs: {} }
  }
  if (!steady) {
    const reason = errors.length > 0 ? ` The tool said: "${errors.slice(0, 3).join(' / ')}".` : sawStatCount > 0 ? ' Its timing lines were empty.' : ''
    throw new LabError('invalid_file', `The benchmark tool's output has no inference timings, so there is no result.${reason} Check the tool and the model, then run again.`)
  }
  if (warmup && warmupAvgMs === null) warmupAvgMs = warmup.meanMs

  const regular = tables.filter((t) => t.section === 'regular' && t.headers.length > 0)
  // The interpreter's Run Order, then (with a delegate) the "Delegate internal:" Run Order: one row per delegate
  // operator, source 'delegate' (the lookup-table profiler attributes these to blocks).
  const ops: OpTiming[] = regular
    .filter((t) => t.kind === 'run-order')
    .flatMap((t) => t.rows.map((cells, i) => rowToOp(t, cells, i)).filter((op): op is OpTiming => op !== null))
  const summaryTable = regular.find((t) => t.kind === 'summary')
  const opSummary: OpTiming[] = summaryTable
    ? summaryTable.rows.map((cells) => rowToOp(summaryTable, cells, null)).filter((op): op is OpTiming => op !== null)
    : []
  if (ops.length === 0 && opSummary.length === 0) {
    // Old tools (TF 1.x) without section titles: fall back to the top table so at least the heaviest ops show.
    const top = regular.find((t) => t.kind === 'top')
    if (top) ops.push(...top.rows.map((cells) => rowToOp(top, cells, null)).filter((op): op is OpTiming => op !== null))
  }

  return {
    toolVersion,
    initMs: initMs ?? initSessionMs,
    firstMs,
    warmup,
    steady,
    ops,
    opSummary,
    memory,
    warnings: [...new Set(warnings)],
    errors
  }
}

/** Flags the tool refused (`Unconsumed cmdline flags: --a=1 --b=2`), so a retry can drop them. */
export function unconsumedFlags(text: string): string[] {
  const m = /Unconsumed cmdline flags:\s*(.*)/i.exec(text)
  if (!m) return []
  return m[1].split(/\s+/).filter((f) => f.startsWith('--')).map((f) => f.split('=')[0])
}
