// A self-contained HTML report of a comparison: charts drawn as inline SVG, tables, no external resources (no
// scripts, fonts or images fetched), so it can be mailed, archived or opened offline. Built in the main process so
// the CLI writes the same file the window does.
import type { CompareFronts, RunFront } from '../../shared/contract/compare'

export const RUN_COLOURS = ['#2f5bd3', '#c2410c', '#15803d', '#9333ea', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#475569']

export interface ReportOptions {
  title: string
  generatedAt?: number
  labVersion?: string
}

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
}

/** A number for people: 3 significant digits, no exponent for ordinary sizes. */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e9) return `${(v / 1e9).toPrecision(digits)} G`
  if (a >= 1e6) return `${(v / 1e6).toPrecision(digits)} M`
  if (a >= 1e4) return `${(v / 1e3).toPrecision(digits)} k`
  if (a < 1e-3) return v.toExponential(2)
  return Number(v.toPrecision(digits)).toString()
}

export function formatAccuracy(v: number): string {
  return v <= 1 ? `${(v * 100).toFixed(1)} %` : v.toFixed(2)
}

/** Round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo]
  const raw = (hi - lo) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag
  const ticks: number[] = []
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)))
  return ticks
}

interface Frame {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1
  return (v) => r0 + ((v - d0) / span) * (r1 - r0)
}

function padded(values: number[]): [number, number] {
  let lo = Math.min(...values)
  let hi = Math.max(...values)
  if (!(hi > lo)) {
    const d = Math.abs(lo) * 0.05 || 1
    lo -= d
    hi += d
  }
  const pad = (hi - lo) * 0.04
  return [lo - pad, hi + pad]
}

function axes(f: Frame, xs: number[], ys: number[], sx: (v: number) => number, sy: (v: number) => number, xLabel: string, yLabel: string, yFormat: (v: number) => string): string {
  const parts: string[] = []
  const x0 = f.left
  const x1 = f.width - f.right
  const y0 = f.height - f.bottom
  const y1 = f.top
  for (const t of xs) {
    const x = sx(t).toFixed(1)
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${y1}" y2="${y0}"/><text class="tick" x="${x}" y="${y0 + 16}" text-anchor="middle">${esc(formatNumber(t))}</text>`)
  }
  for (const t of ys) {
    const y = sy(t).toFixed(1)
    parts.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${y}" y2="${y}"/><text class="tick" x="${x0 - 6}" y="${Number(y) + 4}" text-anchor="end">${esc(yFormat(t))}</text>`)
  }
  parts.push(`<line class="axis" x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/><line class="axis" x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}"/>`)
  parts.push(`<text class="label" x="${(x0 + x1) / 2}" y="${f.height - 6}" text-anchor="middle">${esc(xLabel)}</text>`)
  parts.push(`<text class="label" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`)
  return parts.join('')
}

function objectiveLabel(fronts: Pick<CompareFronts, 'objective' | 'xAxis' | 'xUnit'>): string {
  return `${fronts.xAxis === 'measured' ? 'Measured' : 'Predicted'} ${fronts.objective} (${fronts.xUnit})`
}

/** Accuracy against latency or energy: every point, each run's front as a step line, dominated points faded. */
export function frontsSvg(fronts: CompareFronts, width = 880, height = 460): string {
  const f: Frame = { width, height, left: 64, right: 20, top: 16, bottom: 44 }
  const all = fronts.runs.flatMap((r) => r.points)
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="fronts" width="${width}" height="80" viewBox="0 0 ${width} 80" role="img"><text class="label" x="12" y="40">No candidate of these runs has an accuracy and a ${esc(objectiveLabel(fronts).toLowerCase())}.</text></svg>`
  const [xLo, xHi] = padded(all.map((p) => p.x))
  const [yLo, yHi] = padded(all.map((p) => p.accuracy))
  const sx = scale(xLo, xHi, f.left, width - f.right)
  const sy = scale(yLo, yHi, height - f.bottom, f.top)
  const clampX = (v: number) => Math.min(xHi, Math.max(xLo, v))
  const clampY = (v: number) => Math.min(yHi, Math.max(yLo, v))
  const body: string[] = [axes(f, niceTicks(xLo, xHi), niceTicks(yLo, yHi), sx, sy, objectiveLabel(fronts), 'Accuracy', (v) => (yHi <= 1.05 ? `${Number((v * 100).toFixed(1))} %` : formatNumber(v)))]
  fronts.runs.forEach((run, i) => {
    const colour = RUN_COLOURS[i % RUN_COLOURS.length]
    const onFront = new Set(run.front)
    const circles = run.points
      .map((p) => {
        const front = onFront.has(p.candidateId)
        return `<circle class="point${front ? ' front-point' : ''}" data-run="${esc(run.runId)}" data-candidate="${esc(p.candidateId)}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.accuracy).toFixed(1)}" r="${front ? 4 : 3}" fill="${colour}" fill-opacity="${front ? 0.95 : 0.25}"><title>${esc(`${run.name} · ${p.name}: ${formatAccuracy(p.accuracy)}, ${formatNumber(p.x)} ${fronts.xUnit}`)}</title></circle>`
      })
      .join('')
    const d = run.step.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx(clampX(x)).toFixed(1)},${sy(clampY(y)).toFixed(1)}`).join('')
    body.push(`<g class="run" data-run="${esc(run.runId)}">${circles}${d ? `<path class="step" d="${d}" stroke="${colour}"/>` : ''}</g>`)
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="fronts" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Accuracy against ${esc(objectiveLabel(fronts).toLowerCase())}">${body.join('')}</svg>`
}

/** Predicted against measured figures of every candidate that has both, with the y = x line. */
export function predictionSvg(fronts: CompareFronts, width = 880, height = 360): string | null {
  const pairs: { run: number; p: number; m: number; name: string }[] = []
  fronts.runs.forEach((run, i) =>
    run.points.forEach((pt) => {
      const predicted = fronts.objective === 'latency' ? pt.predictedLatencyMs : pt.predictedEnergyMj
      const measured = fronts.objective === 'latency' ? pt.latencyMs : pt.energyMj
      if (predicted !== null && measured !== null) pairs.push({ run: i, p: predicted, m: measured, name: pt.name })
    })
  )
  if (pairs.length === 0) return null
  const f: Frame = { width, height, left: 64, right: 20, top: 16, bottom: 44 }
  const [lo, hi] = padded(pairs.flatMap((q) => [q.p, q.m]))
  const sx = scale(lo, hi, f.left, width - f.right)
  const sy = scale(lo, hi, height - f.bottom, f.top)
  const ticks = niceTicks(lo, hi)
  const body = [axes(f, ticks, ticks, sx, sy, `Predicted ${fronts.objective} (${fronts.xUnit})`, `Measured (${fronts.xUnit})`, formatNumber)]
  body.push(`<path class="diagonal" d="M${sx(lo).toFixed(1)},${sy(lo).toFixed(1)}L${sx(hi).toFixed(1)},${sy(hi).toFixed(1)}"/>`)
  for (const q of pairs) {
    body.push(`<circle class="point" cx="${sx(q.p).toFixed(1)}" cy="${sy(q.m).toFixed(1)}" r="3" fill="${RUN_COLOURS[q.run % RUN_COLOURS.length]}" fill-opacity="0.7"><title>${esc(`${q.name}: predicted ${formatNumber(q.p)}, measured ${formatNumber(q.m)} ${fronts.xUnit}`)}</title></circle>`)
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="prediction" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Predicted against measured">${body.join('')}</svg>`
}

function table(header: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
}

function legend(fronts: CompareFronts): string {
  return `<ul class="legend">${fronts.runs
    .map((r, i) => `<li><span class="swatch" style="background:${RUN_COLOURS[i % RUN_COLOURS.length]}"></span>${esc(r.name)} <span class="muted">· ${esc(r.deviceLabel)} · hypervolume ${esc(formatNumber(r.hypervolume))}</span></li>`)
    .join('')}</ul>`
}

function frontTable(fronts: CompareFronts, run: RunFront): string {
  const onFront = new Set(run.front)
  const rows = run.points
    .filter((p) => onFront.has(p.candidateId))
    .sort((a, b) => a.x - b.x)
    .map((p) => [esc(p.name), esc(formatAccuracy(p.accuracy)), esc(formatNumber(p.latencyMs)), esc(formatNumber(p.energyMj)), esc(formatNumber(p.predictedLatencyMs)), esc(formatNumber(p.sizeBytes / 1024)), esc(formatNumber(p.macs))])
  return table(['Candidate', 'Accuracy', 'Latency (ms)', 'Energy (mJ)', 'Predicted latency (ms)', 'Size (KiB)', 'MACs'], rows)
}

export function renderReport(fronts: CompareFronts, options: ReportOptions): string {
  const generated = new Date(options.generatedAt ?? Date.now()).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  const names = new Map(fronts.runs.map((r) => [r.runId, r.name]))
  const runRows = fronts.runs.map((r, i) => [
    `<span class="swatch" style="background:${RUN_COLOURS[i % RUN_COLOURS.length]}"></span>${esc(r.name)}`,
    esc(r.kind),
    esc(r.deviceLabel),
    String(r.points.length),
    String(r.front.length),
    String(r.missing),
    `<b>${esc(formatNumber(r.hypervolume))}</b>`
  ])
  const pairRows = fronts.attainment.map((a) => [
    esc(names.get(a.runA) ?? a.runA),
    esc(names.get(a.runB) ?? a.runB),
    esc(formatNumber(a.addedByA)),
    esc(formatNumber(a.addedByB)),
    `${(a.coverageAB * 100).toFixed(0)} %`,
    `${(a.coverageBA * 100).toFixed(0)} %`
  ])
  const prediction = predictionSvg(fronts)
  const reference = fronts.reference ? `${formatNumber(fronts.reference[0])} ${fronts.xUnit}, accuracy ${formatAccuracy(fronts.reference[1])}` : 'none (no points)'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(options.title)}</title>
<style>
:root{color-scheme:light dark;--text:#1a1f26;--muted:#59636f;--border:#dfe3e8;--bg:#fff;--surface:#f6f7f9}
@media (prefers-color-scheme:dark){:root{--text:#e6e9ee;--muted:#9aa4b1;--border:#333b45;--bg:#15191e;--surface:#1d2228}}
body{margin:0;padding:24px 32px;font:14px/1.5 system-ui,sans-serif;color:var(--text);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.muted{color:var(--muted)}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}th,td{padding:6px 12px;border-bottom:1px solid var(--border);text-align:left}
th{font-size:12px;color:var(--muted)}.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:4px 20px}
.chart{max-width:100%;height:auto;background:var(--surface);border:1px solid var(--border);border-radius:8px}
.chart .grid{stroke:var(--border);stroke-width:1}.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .tick{fill:var(--muted);font-size:11px}.chart .label{fill:var(--text);font-size:12px}
.chart .step{fill:none;stroke-width:2}.chart .diagonal{stroke:var(--muted);stroke-dasharray:4 4}
</style></head><body>
<h1>${esc(options.title)}</h1>
<p class="muted">Generated ${esc(generated)}${options.labVersion ? ` by Proxyless Lab ${esc(options.labVersion)}` : ''}. Accuracy (higher is better) against ${esc(objectiveLabel(fronts).toLowerCase())} (lower is better).</p>
<h2>Pareto fronts</h2>
${legend(fronts)}
${frontsSvg(fronts)}
<p class="muted">Each run's front is its step line; faded points are dominated (another candidate of the same run is at least as accurate and at least as fast). Hypervolume is the area each front dominates up to the shared reference point (${esc(reference)}): larger is better, and only figures from the same report can be compared.</p>
<h2>Runs</h2>
${table(['Run', 'Kind', 'Device', 'Points', 'On front', 'Left out', 'Hypervolume'], runRows, 'runs')}
${pairRows.length ? `<h2>Attainment between runs</h2>${table(['Run A', 'Run B', 'Area only A reaches', 'Area only B reaches', 'C(A, B)', 'C(B, A)'], pairRows, 'attainment')}<p class="muted">C(A, B) is the share of B's candidates that some candidate of A is at least as good as in both figures.</p>` : ''}
${prediction ? `<h2>Predicted against measured</h2>${prediction}<p class="muted">Points on the dashed line were predicted exactly by the lookup table.</p>` : ''}
${fronts.runs.map((r) => `<h2>Front of ${esc(r.name)}</h2>${frontTable(fronts, r)}`).join('\n')}
</body></html>
`
}
