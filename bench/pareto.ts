// Pareto maths cost: non-dominated sort and exact hypervolume for 10,000 points in 2-D and 3-D, on uniform random
// points (few front points, many fronts) and on all-non-dominated sets (worst case for the front-sized structures),
// with Deb's fast non-dominated sort (O(m·n²)) as the baseline ratio. Run: npx tsx bench/pareto.ts
import { hypervolume, paretoRanks, type ObjectiveDirection, type ObjectivePoint } from '../src/shared/pareto'

const N = 10_000

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function uniform(m: number, seed: number): ObjectivePoint[] {
  const rand = mulberry32(seed)
  return Array.from({ length: N }, (_, i) => ({ id: `u${i}`, values: Array.from({ length: m }, rand) }))
}

/** Every point non-dominated: on the line x + y = 1, or on the positive octant of the unit sphere. */
function allOnFront(m: number, seed: number): ObjectivePoint[] {
  const rand = mulberry32(seed)
  return Array.from({ length: N }, (_, i) => {
    const v = Array.from({ length: m }, () => -Math.log(1 - rand()))
    const norm = m === 2 ? v[0] + v[1] : Math.hypot(...v)
    return { id: `f${i}`, values: v.map((x) => x / norm) }
  })
}

/** Deb et al. 2002 fast non-dominated sort, the textbook baseline. */
function debRanks(points: ObjectivePoint[]): number[] {
  const n = points.length
  const m = points[0].values.length
  const dominatedBy: number[][] = Array.from({ length: n }, () => [])
  const count = new Int32Array(n)
  const dom = (a: number[], b: number[]): boolean => {
    let strictly = false
    for (let j = 0; j < m; j++) {
      if (a[j] > b[j]) return false
      if (a[j] < b[j]) strictly = true
    }
    return strictly
  }
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (dom(points[p].values, points[q].values)) { dominatedBy[p].push(q); count[q]++ }
      else if (dom(points[q].values, points[p].values)) { dominatedBy[q].push(p); count[p]++ }
    }
  }
  const ranks = new Array<number>(n).fill(0)
  let front: number[] = []
  for (let p = 0; p < n; p++) if (count[p] === 0) front.push(p)
  for (let rank = 0; front.length > 0; rank++) {
    const next: number[] = []
    for (const p of front) {
      ranks[p] = rank
      for (const q of dominatedBy[p]) if (--count[q] === 0) next.push(q)
    }
    front = next
  }
  return ranks
}

function medianMs(repeats: number, run: () => unknown): number {
  run() // warm-up
  const times: number[] = []
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now()
    run()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

const rows: string[][] = [['set', 'fronts', 'front size', 'sort ms', 'Deb ms', 'Deb / sort', 'hypervolume ms', 'hypervolume']]
for (const m of [2, 3]) {
  const directions: ObjectiveDirection[] = Array.from({ length: m }, () => 'min')
  const reference = Array.from({ length: m }, () => 1.1)
  for (const [name, points] of [[`uniform ${m}-D`, uniform(m, 42 + m)], [`all on front ${m}-D`, allOnFront(m, 7 + m)]] as const) {
    const ranks = paretoRanks(points, directions)
    const fronts = Math.max(...ranks) + 1
    const frontSize = ranks.filter((r) => r === 0).length
    const sortMs = medianMs(5, () => paretoRanks(points, directions))
    const hvMs = medianMs(5, () => hypervolume(points, directions, reference))
    const hv = hypervolume(points, directions, reference)
    // the O(n²) baseline last, once: its n²/4 dominance lists would weigh on the timings above through the GC
    const t0 = performance.now()
    const baseline = debRanks(points)
    const debMs = performance.now() - t0
    if (baseline.some((r, i) => r !== ranks[i])) throw new Error(`${name}: ranks differ from Deb's fast sort`)
    rows.push([name, String(fronts), String(frontSize), sortMs.toFixed(1), debMs.toFixed(0), (debMs / sortMs).toFixed(0) + '×', hvMs.toFixed(1), hv.toFixed(4)])
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
console.log(`Pareto maths, n = ${N} points (median of 5; Deb's sort once), Node ${process.version}`)
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
