// Parses the text of TFLite's GetProfilingSummary() (the benchmark tool's op profiling tables) into OpTiming rows.
import type { OpTiming } from '../../../shared/contract/measure'

/**
 * Rows of the "Run Order" table of the interpreter part (source 'tflite': one row per TFLite node, e.g. a whole
 * XNNPACK partition) and of the "Delegate internal:" part (source 'delegate': one row per XNNPACK operator, µs
 * resolution). Delegate rows get nodeType = the XNNPACK operator (e.g. 'Convolution (NHWC, F32) GEMM').
 */
export function parseProfilingSummary(text: string): OpTiming[] {
  const marker = text.indexOf('Delegate internal:')
  const interpreterPart = marker >= 0 ? text.slice(0, marker) : text
  const delegatePart = marker >= 0 ? text.slice(marker) : ''
  return [...parseRunOrder(interpreterPart, 'tflite'), ...parseRunOrder(delegatePart, 'delegate')]
}

function parseRunOrder(part: string, source: OpTiming['source']): OpTiming[] {
  const lines = part.split('\n')
  const start = lines.findIndex((l) => /=+ Run Order =+/.test(l))
  if (start < 0) return []
  const rows: OpTiming[] = []
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]
    if (line.trim() === '' || /^=+/.test(line.trim())) break
    if (line.includes('[node type]')) continue
    const cols = line.split('\t').map((c) => c.trim()).filter((c, k) => k > 0 || c !== '')
    if (cols.length < 8) continue
    const [nodeType, first, avg, pct, , , called, ...nameParts] = cols
    const name = nameParts.join('\t')
    const avgMs = Number(avg)
    if (!Number.isFinite(avgMs)) continue
    const delegateOp = source === 'delegate' ? /^Delegate\/(.*):\d+$/.exec(name) : null
    rows.push({
      index: rows.length,
      nodeType: delegateOp ? delegateOp[1] : nodeType,
      name,
      firstMs: finiteOrNull(Number(first)),
      avgMs,
      percent: finiteOrNull(Number(pct.replace('%', ''))),
      timesCalled: finiteOrNull(Number(called)),
      source
    })
  }
  return rows
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null
}
