// Pareto maths for Compare: dominance, non-dominated sorting, hypervolume, attainment between fronts.
// Pure TypeScript (no Node, no DOM): the main process and the renderer both use it.
//
// Internally every objective is turned into a minimisation (a 'max' objective is negated), points live in one
// flat Float64Array (n·m values, row-major), and public functions map results back to the caller's points.
import { LabError } from './errors'

export type ObjectiveDirection = 'min' | 'max'

/** One candidate (a model, a run, a trial) with one value per objective, in the order of `directions`. */
export interface ObjectivePoint {
  id: string
  values: number[]
}

/** Hypervolume bookkeeping of front A against front B (both judged from the same reference point). */
export interface Attainment {
  hypervolumeA: number
  hypervolumeB: number
  hypervolumeUnion: number
  /** HV(A ∪ B) − HV(B): the objective space A reaches and B does not (Zitzler et al. 2003, binary HV indicator). */
  addedByA: number
  /** HV(A ∪ B) − HV(A): the objective space B reaches and A does not. */
  addedByB: number
  /** C(A, B): share of B weakly dominated by some point of A (Zitzler & Thiele 1999). */
  coverageAB: number
  /** C(B, A): share of A weakly dominated by some point of B. Not 1 − C(A, B): both must be read. */
  coverageBA: number
  /** Share of B's Pareto front (distinct points) strictly dominated by some point of A; 0 when B is empty. */
  bFrontDominatedByA: number
  /** Same, with A and B swapped. */
  aFrontDominatedByB: number
}

// ---------------------------------------------------------------------------------------------------------------
// Validation at the door: every public function checks its inputs, the kernels below trust them.

function badRequest(message: string, field?: string): never {
  throw new LabError('bad_request', message, field)
}

function checkDirections(directions: readonly ObjectiveDirection[]): void {
  if (!Array.isArray(directions) || directions.length === 0) {
    badRequest('Pareto objectives need at least one direction: give one of "min" or "max" per objective.', 'directions')
  }
  directions.forEach((d, j) => {
    if (d !== 'min' && d !== 'max') badRequest(`Objective ${j} has direction ${JSON.stringify(d)}: use "min" or "max".`, `directions[${j}]`)
  })
}

function checkValues(values: unknown, m: number, what: string, field: string): void {
  if (!Array.isArray(values)) badRequest(`${what} has no list of objective values: give ${m} numbers.`, field)
  if (values.length !== m) badRequest(`${what} has ${values.length} objective values but ${m} directions were given: give one value per objective.`, field)
  for (let j = 0; j < m; j++) {
    const v = values[j]
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      badRequest(`${what} has objective ${j} = ${String(v)}: every objective value must be a finite number (drop or re-measure this point).`, `${field}[${j}]`)
    }
  }
}

function checkPoints(points: readonly ObjectivePoint[], m: number, name = 'points'): void {
  if (!Array.isArray(points)) badRequest(`${name} must be a list of points.`, name)
  points.forEach((p, i) => {
    if (p === null || typeof p !== 'object') badRequest(`${name}[${i}] is not a point: give { id, values }.`, `${name}[${i}]`)
    checkValues(p.values, m, `Point ${JSON.stringify(p.id)} (${name}[${i}])`, `${name}[${i}].values`)
  })
}

function checkReference(reference: readonly number[], m: number): void {
  checkValues(reference, m, 'The reference point', 'reference')
}

// ---------------------------------------------------------------------------------------------------------------
// Normalisation: everything below minimises.

function sign(direction: ObjectiveDirection): number {
  return direction === 'max' ? -1 : 1
}

/** Points as a flat row-major array of minimised values. */
function toMinimised(points: readonly ObjectivePoint[], directions: readonly ObjectiveDirection[]): Float64Array {
  const m = directions.length
  const flat = new Float64Array(points.length * m)
  for (let i = 0; i < points.length; i++) {
    const v = points[i].values
    for (let j = 0; j < m; j++) flat[i * m + j] = sign(directions[j]) * v[j]
  }
  return flat
}

function referenceMinimised(reference: readonly number[], directions: readonly ObjectiveDirection[]): Float64Array {
  return Float64Array.from(directions, (d, j) => sign(d) * reference[j])
}

/** Row q dominates row p (minimising): no worse in every objective and strictly better in at least one. */
function rowDominates(f: Float64Array, m: number, q: number, p: number): boolean {
  let strictly = false
  const qo = q * m
  const po = p * m
  for (let j = 0; j < m; j++) {
    const a = f[qo + j]
    const b = f[po + j]
    if (a > b) return false
    if (a < b) strictly = true
  }
  return strictly
}

/** Row q weakly dominates row p: no worse in every objective (equal rows cover each other). */
function rowCovers(f: Float64Array, m: number, q: number, fp: Float64Array, p: number): boolean {
  const qo = q * m
  const po = p * m
  for (let j = 0; j < m; j++) if (f[qo + j] > fp[po + j]) return false
  return true
}

function compareRowsLex(f: Float64Array, m: number, a: number, b: number): number {
  const ao = a * m
  const bo = b * m
  for (let j = 0; j < m; j++) {
    const d = f[ao + j] - f[bo + j]
    if (d !== 0) return d
  }
  return 0
}

// ---------------------------------------------------------------------------------------------------------------
// Dominance and non-dominated sorting.

/** a dominates b: a is no worse than b in every objective and strictly better in at least one (equal points do not). */
export function dominates(a: ObjectivePoint, b: ObjectivePoint, directions: readonly ObjectiveDirection[]): boolean {
  checkDirections(directions)
  checkPoints([a, b], directions.length, 'pair')
  return rowDominates(toMinimised([a, b], directions), directions.length, 0, 1)
}

/** a weakly dominates b: a is no worse than b in every objective (so every point weakly dominates itself). */
export function weaklyDominates(a: ObjectivePoint, b: ObjectivePoint, directions: readonly ObjectiveDirection[]): boolean {
  checkDirections(directions)
  checkPoints([a, b], directions.length, 'pair')
  const f = toMinimised([a, b], directions)
  return rowCovers(f, directions.length, 0, f, 1)
}

/**
 * Pareto rank of every point, in input order: 0 = on the Pareto front, k = dominated only by points of rank < k.
 * All cases follow ENS-BS (Zhang et al. 2015): in lexicographic order each point joins the first front that does not
 * dominate it. Two objectives test a front in O(1), three in O(log n) with a 2-D staircase per front (O(n log² n)
 * comparisons in all); other m scan the front (O(m·n²) worst case like Deb's fast sort, far less in practice).
 */
export function paretoRanks(points: readonly ObjectivePoint[], directions: readonly ObjectiveDirection[]): number[] {
  checkDirections(directions)
  checkPoints(points, directions.length)
  const f = toMinimised(points, directions)
  return Array.from(ranksOfRows(f, points.length, directions.length))
}

/** Fronts of the non-dominated sort: fronts[0] is the Pareto front; within a front points keep their input order. */
export function nonDominatedSort(points: readonly ObjectivePoint[], directions: readonly ObjectiveDirection[]): ObjectivePoint[][] {
  const ranks = paretoRanks(points, directions)
  const fronts: ObjectivePoint[][] = []
  ranks.forEach((r, i) => {
    while (fronts.length <= r) fronts.push([])
    fronts[r].push(points[i])
  })
  return fronts
}

/** The Pareto front (rank 0), in input order; duplicates of a front point are all kept. */
export function paretoFront(points: readonly ObjectivePoint[], directions: readonly ObjectiveDirection[]): ObjectivePoint[] {
  return nonDominatedSort(points, directions)[0] ?? []
}

function ranksOfRows(f: Float64Array, n: number, m: number): Int32Array {
  if (m === 2) return ranks2d(f, n)
  if (m === 3) return ranks3d(f, n)
  return ranksEns(f, n, m)
}

// Sort by (f1, f2). Every earlier point has f1 ≤ p1, so it dominates p iff its f2 is smaller, or equal with a smaller
// f1. Within a front f2 falls as f1 rises, so the last member of each front is the one to test; "front k dominates p"
// is true up to p's rank and false after (transitivity), hence a binary search over fronts.
function ranks2d(f: Float64Array, n: number): Int32Array {
  const order = sortedOrder(f, n, 2)
  const ranks = new Int32Array(n)
  const last1: number[] = []
  const last2: number[] = []
  for (const p of order) {
    const p1 = f[2 * p]
    const p2 = f[2 * p + 1]
    let lo = 0
    let hi = last1.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const dominated = last2[mid] < p2 || (last2[mid] === p2 && last1[mid] < p1)
      if (dominated) lo = mid + 1
      else hi = mid
    }
    ranks[p] = lo
    if (lo === last1.length) {
      last1.push(p1)
      last2.push(p2)
    } else {
      last1[lo] = p1
      last2[lo] = p2
    }
  }
  return ranks
}

// Sort lexicographically: every earlier point has f1 ≤ p1, so a front dominates p iff one of its members has
// (f2, f3) ≤ p's — unless that member equals p, and equal rows are adjacent, so they are settled first. Each front
// keeps the 2-D staircase of its members' (f2, f3): the question is then one binary search.
function ranks3d(f: Float64Array, n: number): Int32Array {
  const order = sortedOrder(f, n, 3)
  const ranks = new Int32Array(n)
  const f2s: number[][] = []
  const f3s: number[][] = []
  const frontDominates = (k: number, y: number, z: number): boolean => {
    const ys = f2s[k]
    let lo = 0
    let hi = ys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ys[mid] <= y) lo = mid + 1
      else hi = mid
    }
    return lo > 0 && f3s[k][lo - 1] <= z // the member with the largest f2 ≤ y has the smallest f3 among them
  }
  let previous = -1
  for (const p of order) {
    if (previous >= 0 && compareRowsLex(f, 3, previous, p) === 0) {
      ranks[p] = ranks[previous]
      continue
    }
    previous = p
    const y = f[3 * p + 1]
    const z = f[3 * p + 2]
    let lo = 0
    let hi = f2s.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (frontDominates(mid, y, z)) lo = mid + 1
      else hi = mid
    }
    if (lo === f2s.length) {
      f2s.push([])
      f3s.push([])
    }
    insertIntoStaircase(f2s[lo], f3s[lo], y, z)
    ranks[p] = lo
  }
  return ranks
}

// ENS-BS: in lexicographic order a point can only be dominated by points before it, so each point joins the first
// existing front with no member that dominates it; members are scanned from the newest, the likeliest dominators.
function ranksEns(f: Float64Array, n: number, m: number): Int32Array {
  const order = sortedOrder(f, n, m)
  const ranks = new Int32Array(n)
  const fronts: number[][] = []
  const frontDominates = (front: number[], p: number): boolean => {
    for (let k = front.length - 1; k >= 0; k--) if (rowDominates(f, m, front[k], p)) return true
    return false
  }
  for (const p of order) {
    let lo = 0
    let hi = fronts.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (frontDominates(fronts[mid], p)) lo = mid + 1
      else hi = mid
    }
    if (lo === fronts.length) fronts.push([])
    fronts[lo].push(p)
    ranks[p] = lo
  }
  return ranks
}

function sortedOrder(f: Float64Array, n: number, m: number): Int32Array {
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  return order.sort((a, b) => compareRowsLex(f, m, a, b) || a - b)
}

// ---------------------------------------------------------------------------------------------------------------
// Hypervolume indicator (Zitzler & Thiele 1998): the measure of the objective space dominated by a set and bounded
// by a reference point. Larger is better; only points strictly better than the reference everywhere count.

/**
 * Hypervolume of `points` with respect to `reference` (one value per objective, in the caller's directions).
 * Exact: 2 objectives by a sweep, 3 by the dimension-sweep algorithm (Beume et al. 2009) over a 2-D staircase,
 * 4+ by slicing on the last objective (HSO, While et al. 2006; exponential in m, meant for small fronts).
 */
export function hypervolume(points: readonly ObjectivePoint[], directions: readonly ObjectiveDirection[], reference: readonly number[]): number {
  checkDirections(directions)
  checkPoints(points, directions.length)
  checkReference(reference, directions.length)
  return hypervolumeOfRows(toMinimised(points, directions), points.length, directions.length, referenceMinimised(reference, directions))
}

function hypervolumeOfRows(f: Float64Array, n: number, m: number, ref: Float64Array): number {
  // Keep only rows strictly better than the reference in every objective, shifted so the reference is the origin.
  const rows: number[][] = []
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(m)
    let inside = true
    for (let j = 0; j < m && inside; j++) {
      const d = f[i * m + j] - ref[j]
      if (!(d < 0)) inside = false
      row[j] = d
    }
    if (inside) rows.push(row)
  }
  return hvRows(rows, m)
}

// Rows are in reference-origin coordinates, all negative: the dominated box of row r is [r, 0]^m.
function hvRows(rows: number[][], m: number): number {
  if (rows.length === 0) return 0
  if (m === 1) return -Math.min(...rows.map((r) => r[0]))
  if (m === 2) return hv2(rows)
  if (m === 3) return hv3(rows)
  return hvSlices(rows, m)
}

// Sort by x; each row that lowers the best y so far adds the strip [x, 0] × [y, bestY].
function hv2(rows: number[][]): number {
  const sorted = rows.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let bestY = 0
  let volume = 0
  for (const [x, y] of sorted) {
    if (y < bestY) {
      volume += -x * (bestY - y)
      bestY = y
    }
  }
  return volume
}

// Sweep z upwards keeping the 2-D staircase of (x, y) seen so far (x rising, y falling) and its area; the volume is
// Σ area · Δz. Inserting a point updates the area by the part of its box the staircase did not cover yet.
// The staircase is a sorted array (splice is a memmove): O(n log n) comparisons, O(n·front) moves in the worst case.
function hv3(rows: number[][]): number {
  const sorted = rows.slice().sort((a, b) => a[2] - b[2])
  const xs: number[] = []
  const ys: number[] = []
  let area = 0
  let volume = 0
  for (let i = 0; i < sorted.length; i++) {
    const [x, y, z] = sorted[i]
    area += insertIntoStaircase(xs, ys, x, y)
    const zNext = i + 1 < sorted.length ? sorted[i + 1][2] : 0
    volume += area * (zNext - z)
  }
  return volume
}

/**
 * Adds (x, y) to a staircase (x rising, y falling; points it covers are removed) and returns the area it adds with
 * the reference at the origin; 0, leaving the staircase as is, when a point already there is at least as good.
 */
function insertIntoStaircase(xs: number[], ys: number[], x: number, y: number): number {
  // first index with xs[i] >= x
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (xs[mid] < x) lo = mid + 1
    else hi = mid
  }
  const i = lo
  if (i > 0 && ys[i - 1] <= y) return 0 // a point left of x is at least as low
  if (i < xs.length && xs[i] === x && ys[i] <= y) return 0 // a point at the same x is at least as low
  // Points from i on with y' >= y are dominated by (x, y): walk them, adding the strips they did not cover.
  let top = i > 0 ? ys[i - 1] : 0
  let cur = x
  let added = 0
  let k = i
  while (k < xs.length && ys[k] >= y) {
    added += (xs[k] - cur) * (top - y)
    cur = xs[k]
    top = ys[k]
    k++
  }
  const xEnd = k < xs.length ? xs[k] : 0
  added += (xEnd - cur) * (top - y)
  xs.splice(i, k - i, x)
  ys.splice(i, k - i, y)
  return added
}

// HSO: slice along the last objective; between consecutive values the slice is the (m−1)-D volume of the rows below.
function hvSlices(rows: number[][], m: number): number {
  const sorted = rows.slice().sort((a, b) => a[m - 1] - b[m - 1])
  const below: number[][] = []
  let volume = 0
  for (let i = 0; i < sorted.length; i++) {
    below.push(sorted[i].slice(0, m - 1))
    const zNext = i + 1 < sorted.length ? sorted[i + 1][m - 1] : 0
    const dz = zNext - sorted[i][m - 1]
    if (dz > 0) volume += hvRows(nonDominatedRows(below, m - 1), m - 1) * dz
  }
  return volume
}

function nonDominatedRows(rows: number[][], m: number): number[][] {
  const ranks = ranksOfRows(Float64Array.from(rows.flat()), rows.length, m)
  return rows.filter((_, i) => ranks[i] === 0)
}

// ---------------------------------------------------------------------------------------------------------------
// Drawing a 2-D front.

/**
 * The staircase a chart draws for a 2-D front: front points sorted by the x objective (ascending x value) with a
 * corner between each pair, so the line bounds exactly the region the front dominates. Dominated and repeated
 * points are dropped first. With a reference, the line starts and ends on the reference's axes (closing the
 * hypervolume region); points not strictly better than the reference are dropped then.
 */
export function stepLine(
  front: readonly ObjectivePoint[],
  directions: readonly ObjectiveDirection[],
  reference?: readonly number[]
): Array<[number, number]> {
  checkDirections(directions)
  if (directions.length !== 2) badRequest(`A step line needs exactly 2 objectives, got ${directions.length}: pick two with projectObjectives first.`, 'directions')
  checkPoints(front, 2, 'front')
  if (reference !== undefined) checkReference(reference, 2)
  const f = toMinimised(front, directions)
  const ref = reference === undefined ? null : referenceMinimised(reference, directions)
  const ranks = ranks2d(f, front.length)
  const kept: Array<[number, number]> = []
  for (let i = 0; i < front.length; i++) {
    if (ranks[i] !== 0) continue
    if (ref !== null && !(f[2 * i] < ref[0] && f[2 * i + 1] < ref[1])) continue
    const v = front[i].values
    kept.push([v[0], v[1]])
  }
  kept.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const distinct = kept.filter((p, i) => i === 0 || p[0] !== kept[i - 1][0] || p[1] !== kept[i - 1][1])
  if (distinct.length === 0) return []
  // Minimising x, the best y for x in [x_i, x_{i+1}) is y_i: corner (x_{i+1}, y_i). Maximising x it is y_{i+1}: (x_i, y_{i+1}).
  const xMin = directions[0] === 'min'
  const line: Array<[number, number]> = []
  const first = distinct[0]
  const last = distinct[distinct.length - 1]
  if (reference !== undefined) line.push(xMin ? [first[0], reference[1]] : [reference[0], first[1]])
  line.push(first)
  for (let i = 1; i < distinct.length; i++) {
    const a = distinct[i - 1]
    const b = distinct[i]
    line.push(xMin ? [b[0], a[1]] : [a[0], b[1]])
    line.push(b)
  }
  if (reference !== undefined) line.push(xMin ? [reference[0], last[1]] : [last[0], reference[1]])
  return line
}

/** Keeps only the chosen objectives (e.g. [0, 1] for accuracy vs latency out of accuracy/latency/energy). */
export function projectObjectives(
  points: readonly ObjectivePoint[],
  directions: readonly ObjectiveDirection[],
  objectives: readonly number[]
): { points: ObjectivePoint[]; directions: ObjectiveDirection[] } {
  checkDirections(directions)
  checkPoints(points, directions.length)
  objectives.forEach((j, k) => {
    if (!Number.isInteger(j) || j < 0 || j >= directions.length) {
      badRequest(`Objective index ${String(j)} does not exist: choose indices from 0 to ${directions.length - 1}.`, `objectives[${k}]`)
    }
  })
  if (objectives.length === 0) badRequest('Choose at least one objective to keep.', 'objectives')
  return {
    points: points.map((p) => ({ id: p.id, values: objectives.map((j) => p.values[j]) })),
    directions: objectives.map((j) => directions[j])
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing fronts.

/**
 * C(A, B) = |{b ∈ B : ∃ a ∈ A, a weakly dominates b}| / |B| — Zitzler & Thiele 1999, the coverage ("C") metric.
 * In [0, 1]; C(A, A) = 1; C(A, B) = 1 means no point of B is better than A anywhere. 0 when B is empty.
 */
export function coverage(a: readonly ObjectivePoint[], b: readonly ObjectivePoint[], directions: readonly ObjectiveDirection[]): number {
  checkDirections(directions)
  checkPoints(a, directions.length, 'a')
  checkPoints(b, directions.length, 'b')
  return coverageOfRows(toMinimised(a, directions), a.length, toMinimised(b, directions), b.length, directions.length)
}

function coverageOfRows(fa: Float64Array, na: number, fb: Float64Array, nb: number, m: number): number {
  if (nb === 0) return 0
  // Only A's own front can cover anything A covers, so test against it alone.
  const frontA = frontRows(fa, na, m)
  let covered = 0
  for (let p = 0; p < nb; p++) {
    if (frontA.some((q) => rowCovers(fa, m, q, fb, p))) covered++
  }
  return covered / nb
}

function frontRows(f: Float64Array, n: number, m: number): number[] {
  const ranks = ranksOfRows(f, n, m)
  const rows: number[] = []
  for (let i = 0; i < n; i++) if (ranks[i] === 0) rows.push(i)
  return rows
}

/** Share of the distinct points of B's Pareto front that some point of A strictly dominates. */
function frontDominatedShare(fa: Float64Array, na: number, fb: Float64Array, nb: number, m: number): number {
  const frontB = frontRows(fb, nb, m).sort((p, q) => compareRowsLex(fb, m, p, q))
  const distinct = frontB.filter((p, k) => k === 0 || compareRowsLex(fb, m, p, frontB[k - 1]) !== 0)
  if (distinct.length === 0) return 0
  const frontA = frontRows(fa, na, m)
  let dominated = 0
  for (const p of distinct) {
    const hit = frontA.some((q) => {
      let strictly = false
      for (let j = 0; j < m; j++) {
        const x = fa[q * m + j]
        const y = fb[p * m + j]
        if (x > y) return false
        if (x < y) strictly = true
      }
      return strictly
    })
    if (hit) dominated++
  }
  return dominated / distinct.length
}

/** How front A attains against front B, from one reference point (see `Attainment` for each figure). */
export function attainment(
  a: readonly ObjectivePoint[],
  b: readonly ObjectivePoint[],
  directions: readonly ObjectiveDirection[],
  reference: readonly number[]
): Attainment {
  checkDirections(directions)
  const m = directions.length
  checkPoints(a, m, 'a')
  checkPoints(b, m, 'b')
  checkReference(reference, m)
  const fa = toMinimised(a, directions)
  const fb = toMinimised(b, directions)
  const ref = referenceMinimised(reference, directions)
  const union = new Float64Array(fa.length + fb.length)
  union.set(fa, 0)
  union.set(fb, fa.length)
  const hypervolumeA = hypervolumeOfRows(fa, a.length, m, ref)
  const hypervolumeB = hypervolumeOfRows(fb, b.length, m, ref)
  const hypervolumeUnion = hypervolumeOfRows(union, a.length + b.length, m, ref)
  return {
    hypervolumeA,
    hypervolumeB,
    hypervolumeUnion,
    addedByA: Math.max(0, hypervolumeUnion - hypervolumeB),
    addedByB: Math.max(0, hypervolumeUnion - hypervolumeA),
    coverageAB: coverageOfRows(fa, a.length, fb, b.length, m),
    coverageBA: coverageOfRows(fb, b.length, fa, a.length, m),
    bFrontDominatedByA: frontDominatedShare(fa, a.length, fb, b.length, m),
    aFrontDominatedByB: frontDominatedShare(fb, b.length, fa, a.length, m)
  }
}

/**
 * A reference point slightly worse than every point of every set: per objective, the worst value seen moved
 * `margin` × (worst − best) further out (or margin × |worst|, or margin, when all values are equal). Using one
 * reference for all runs makes their hypervolumes comparable; every point then counts when margin > 0.
 */
export function defaultReference(
  pointSets: readonly (readonly ObjectivePoint[])[],
  directions: readonly ObjectiveDirection[],
  margin = 0.1
): number[] {
  checkDirections(directions)
  const m = directions.length
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    badRequest(`The reference margin must be a finite number ≥ 0 (e.g. 0.1), got ${String(margin)}.`, 'margin')
  }
  if (!Array.isArray(pointSets)) badRequest('pointSets must be a list of point lists.', 'pointSets')
  pointSets.forEach((set, s) => checkPoints(set, m, `pointSets[${s}]`))
  const worst = new Array<number>(m).fill(-Infinity)
  const best = new Array<number>(m).fill(Infinity)
  let count = 0
  for (const set of pointSets) {
    const f = toMinimised(set, directions)
    for (let i = 0; i < set.length; i++, count++) {
      for (let j = 0; j < m; j++) {
        worst[j] = Math.max(worst[j], f[i * m + j])
        best[j] = Math.min(best[j], f[i * m + j])
      }
    }
  }
  if (count === 0) badRequest('There are no points to derive a reference point from: add runs with results, or give a reference.', 'pointSets')
  return directions.map((d, j) => {
    const span = worst[j] - best[j]
    const step = span > 0 ? span : Math.abs(worst[j]) > 0 ? Math.abs(worst[j]) : 1
    let shifted = worst[j] + margin * step
    // a step lost to rounding (tiny span next to a large value) would put the worst point on the reference
    if (margin > 0 && !(shifted > worst[j])) shifted = worst[j] + Math.max(Math.abs(worst[j]) * 4 * Number.EPSILON, Number.MIN_VALUE)
    const value = sign(d) * shifted
    return value === 0 ? 0 : value // no -0 in JSON or charts
  })
}
