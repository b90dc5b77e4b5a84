// Slow, obviously-correct references the Pareto code is checked against (written from the definitions, not from pareto.ts).
import fc from 'fast-check'
import type { ObjectiveDirection, ObjectivePoint } from '../../../src/shared/pareto'

/** a is no worse than b everywhere and better somewhere, reading each objective in its own direction. */
export function bruteDominates(a: number[], b: number[], directions: ObjectiveDirection[]): boolean {
  let better = false
  for (let j = 0; j < directions.length; j++) {
    const aBetter = directions[j] === 'min' ? a[j] < b[j] : a[j] > b[j]
    const aWorse = directions[j] === 'min' ? a[j] > b[j] : a[j] < b[j]
    if (aWorse) return false
    if (aBetter) better = true
  }
  return better
}

export function bruteWeaklyDominates(a: number[], b: number[], directions: ObjectiveDirection[]): boolean {
  return directions.every((d, j) => (d === 'min' ? a[j] <= b[j] : a[j] >= b[j]))
}

/** Ranks by peeling: rank k = not dominated by any point left after removing ranks < k. O(n³·m). */
export function bruteRanks(points: ObjectivePoint[], directions: ObjectiveDirection[]): number[] {
  const ranks = new Array<number>(points.length).fill(-1)
  let left = points.map((_, i) => i)
  for (let rank = 0; left.length > 0; rank++) {
    const front = left.filter((i) => !left.some((k) => bruteDominates(points[k].values, points[i].values, directions)))
    for (const i of front) ranks[i] = rank
    left = left.filter((i) => ranks[i] === -1)
  }
  return ranks
}

/** Exact hypervolume by inclusion–exclusion over all non-empty subsets (n ≤ ~12). */
export function inclusionExclusionHypervolume(points: ObjectivePoint[], directions: ObjectiveDirection[], reference: number[]): number {
  // side of point p's box in objective j: how far p is better than the reference (0 if not better)
  const sides = points.map((p) => directions.map((d, j) => Math.max(0, d === 'min' ? reference[j] - p.values[j] : p.values[j] - reference[j])))
  let total = 0
  for (let mask = 1; mask < 1 << points.length; mask++) {
    let volume = 1
    let size = 0
    for (let j = 0; j < directions.length; j++) {
      let side = Infinity
      for (let i = 0; i < points.length; i++) if (mask & (1 << i)) side = Math.min(side, sides[i][j])
      volume *= side
    }
    for (let i = 0; i < points.length; i++) if (mask & (1 << i)) size++
    total += size % 2 === 1 ? volume : -volume
  }
  return total
}

/**
 * Exact hypervolume of integer points in [0, side]^m by counting unit cells: the reference is `side` for 'min'
 * objectives and 0 for 'max' ones; a unit cell counts when it lies inside some point's box.
 */
export function gridHypervolume(points: ObjectivePoint[], directions: ObjectiveDirection[], side: number): number {
  const m = directions.length
  let count = 0
  const cell = new Array<number>(m).fill(0)
  const visit = (j: number): void => {
    if (j === m) {
      // box of p: [p, side] in a 'min' objective, [0, p] in a 'max' one; it holds [c, c+1] when p <= c, resp. p >= c+1
      const inside = points.some((p) => directions.every((d, k) => (d === 'min' ? p.values[k] <= cell[k] : p.values[k] >= cell[k] + 1)))
      if (inside) count++
      return
    }
    for (let c = 0; c < side; c++) {
      cell[j] = c
      visit(j + 1)
    }
  }
  visit(0)
  return count
}

export function gridReference(directions: ObjectiveDirection[], side: number): number[] {
  return directions.map((d) => (d === 'min' ? side : 0))
}

export const directionsArb = (m: number): fc.Arbitrary<ObjectiveDirection[]> =>
  fc.array(fc.constantFrom<ObjectiveDirection>('min', 'max'), { minLength: m, maxLength: m })

/** Points with values drawn from a few integers, so duplicates and ties are common. */
export const tiedPointsArb = (m: number, maxLength: number, maxValue = 4): fc.Arbitrary<ObjectivePoint[]> =>
  fc.array(fc.array(fc.integer({ min: 0, max: maxValue }), { minLength: m, maxLength: m }), { maxLength })
    .map((rows) => rows.map((values, i) => ({ id: `p${i}`, values })))

/** Points with real values (rarely tied). */
export const realPointsArb = (m: number, maxLength: number): fc.Arbitrary<ObjectivePoint[]> =>
  fc.array(fc.array(fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: m, maxLength: m }), { maxLength })
    .map((rows) => rows.map((values, i) => ({ id: `p${i}`, values })))

export function relativeClose(a: number, b: number, tolerance = 1e-9): boolean {
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))
}
