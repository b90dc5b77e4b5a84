import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LabError } from '../../../src/shared/errors'
import {
  attainment, coverage, defaultReference, dominates, hypervolume, nonDominatedSort, paretoFront, paretoRanks,
  projectObjectives, stepLine, weaklyDominates, type ObjectiveDirection, type ObjectivePoint
} from '../../../src/shared/pareto'
import {
  bruteDominates, bruteRanks, bruteWeaklyDominates, directionsArb, gridHypervolume, gridReference, inclusionExclusionHypervolume,
  realPointsArb, relativeClose, tiedPointsArb
} from './reference'

const pts = (...rows: number[][]): ObjectivePoint[] => rows.map((values, i) => ({ id: `p${i}`, values }))
const ids = (points: ObjectivePoint[]): string[] => points.map((p) => p.id)

// accuracy (max), latency (min), energy (min): the Compare view's usual objectives
const ACC_LAT_ENERGY: ObjectiveDirection[] = ['max', 'min', 'min']

function badRequest(run: () => unknown): LabError {
  try {
    run()
  } catch (e) {
    expect(e).toBeInstanceOf(LabError)
    expect((e as LabError).code).toBe('bad_request')
    return e as LabError
  }
  throw new Error('expected a bad_request LabError')
}

describe('dominance', () => {
  it('reads each objective in its own direction; equal points do not dominate each other', () => {
    const [a, b, c] = pts([0.9, 10, 5], [0.8, 12, 5], [0.9, 10, 5])
    expect(dominates(a, b, ACC_LAT_ENERGY)).toBe(true)
    expect(dominates(b, a, ACC_LAT_ENERGY)).toBe(false)
    expect(dominates(a, c, ACC_LAT_ENERGY)).toBe(false)
    expect(weaklyDominates(a, c, ACC_LAT_ENERGY)).toBe(true)
    // more accurate but slower: a trade-off, neither dominates
    const [fastLow, slowHigh] = pts([0.7, 5, 1], [0.9, 20, 1])
    expect(dominates(fastLow, slowHigh, ACC_LAT_ENERGY) || dominates(slowHigh, fastLow, ACC_LAT_ENERGY)).toBe(false)
  })

  it('agrees with the definition on random pairs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((m) => fc.tuple(directionsArb(m), tiedPointsArb(m, 2, 2).filter((p) => p.length === 2))), ([dirs, [a, b]]) => {
        expect(dominates(a, b, dirs)).toBe(bruteDominates(a.values, b.values, dirs))
        expect(weaklyDominates(a, b, dirs)).toBe(bruteWeaklyDominates(a.values, b.values, dirs))
      }),
      { numRuns: 300 }
    )
  })
})

describe('input validation', () => {
  it('rejects NaN, Infinity, wrong lengths, unknown directions and bad references with a sentence', () => {
    expect(badRequest(() => paretoFront(pts([1, NaN]), ['min', 'min'])).field).toBe('points[0].values[1]')
    expect(badRequest(() => paretoFront(pts([1, 2], [Infinity, 2]), ['min', 'min'])).message).toMatch(/finite number/)
    expect(badRequest(() => nonDominatedSort(pts([1, 2, 3]), ['min', 'min'])).message).toMatch(/3 objective values but 2 directions/)
    expect(badRequest(() => paretoFront(pts([1]), [])).field).toBe('directions')
    expect(badRequest(() => paretoFront(pts([1]), ['up' as ObjectiveDirection])).field).toBe('directions[0]')
    expect(badRequest(() => hypervolume(pts([1, 2]), ['min', 'min'], [3])).field).toBe('reference')
    expect(badRequest(() => hypervolume(pts([1, 2]), ['min', 'min'], [3, -Infinity])).field).toBe('reference[1]')
    expect(badRequest(() => coverage(pts([1, 2]), pts([1]), ['min', 'min'])).field).toBe('b[0].values')
    expect(badRequest(() => defaultReference([[]], ['min'])).message).toMatch(/no points/)
    expect(badRequest(() => defaultReference([pts([1])], ['min'], -1)).field).toBe('margin')
    expect(badRequest(() => stepLine(pts([1, 2, 3]), ['min', 'min', 'min'])).message).toMatch(/exactly 2 objectives/)
    expect(badRequest(() => projectObjectives(pts([1, 2]), ['min', 'min'], [2])).field).toBe('objectives[0]')
  })
})

describe('non-dominated sort', () => {
  it('sorts a small accuracy/latency/energy set into fronts, keeping input order and duplicates', () => {
    const points = pts(
      [0.9, 20, 5], // p0 front 0: most accurate
      [0.7, 5, 2], //  p1 front 0: fastest, most frugal
      [0.8, 10, 3], // p2 front 0: trade-off
      [0.8, 10, 3], // p3 front 0: duplicate of p2
      [0.8, 12, 3], // p4 front 1: dominated by p2
      [0.6, 6, 2], //  p5 front 1: dominated by p1
      [0.6, 13, 4] //  p6 front 2: dominated by p4
    )
    expect(nonDominatedSort(points, ACC_LAT_ENERGY).map(ids)).toEqual([['p0', 'p1', 'p2', 'p3'], ['p4', 'p5'], ['p6']])
    expect(ids(paretoFront(points, ACC_LAT_ENERGY))).toEqual(['p0', 'p1', 'p2', 'p3'])
    expect(paretoRanks(points, ACC_LAT_ENERGY)).toEqual([0, 0, 0, 0, 1, 1, 2])
    expect(nonDominatedSort([], ['min', 'max'])).toEqual([])
    expect(paretoFront([], ['min', 'max'])).toEqual([])
  })

  it('uses the same ranks in 2-D with ties on either axis', () => {
    const points = pts([1, 5], [1, 3], [2, 3], [3, 1], [3, 1], [2, 4])
    // (1,3) dominates (1,5) and (2,3); (3,1) twice on the front; (2,4) is dominated by (1,3) and by (2,3)
    expect(paretoRanks(points, ['min', 'min'])).toEqual([1, 0, 1, 0, 0, 2])
  })

  for (const m of [1, 2, 3, 4]) {
    it(`matches brute-force peeling on random ${m}-objective sets with duplicates, ties and mixed directions`, () => {
      fc.assert(
        fc.property(directionsArb(m), fc.oneof(tiedPointsArb(m, 40), realPointsArb(m, 30)), (dirs, points) => {
          expect(paretoRanks(points, dirs)).toEqual(bruteRanks(points, dirs))
        }),
        { numRuns: m === 4 ? 60 : 150 }
      )
    })
  }

  it('puts in front k only points dominated by some point of front k−1 and by none of fronts ≥ k', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3).chain((m) => fc.tuple(directionsArb(m), tiedPointsArb(m, 60, 5))), ([dirs, points]) => {
        const fronts = nonDominatedSort(points, dirs)
        expect(fronts.flat().length).toBe(points.length)
        fronts.forEach((front, k) => {
          expect(front.length).toBeGreaterThan(0)
          for (const p of front) {
            if (k > 0) expect(fronts[k - 1].some((q) => bruteDominates(q.values, p.values, dirs))).toBe(true)
            for (const later of fronts.slice(k)) expect(later.some((q) => bruteDominates(q.values, p.values, dirs))).toBe(false)
          }
        })
      }),
      { numRuns: 150 }
    )
  })
})

describe('hypervolume', () => {
  it('gives known areas and volumes, with max objectives negated internally', () => {
    // union of [1,4]×[3,4], [2,4]×[2,3], [3,4]×[1,2]
    expect(hypervolume(pts([1, 3], [2, 2], [3, 1]), ['min', 'min'], [4, 4])).toBe(6)
    // accuracy max from 0.5, latency min from 100 ms: (0.9−0.5)·(100−20)
    expect(hypervolume(pts([0.9, 20]), ['max', 'min'], [0.5, 100])).toBeCloseTo(32, 12)
    expect(hypervolume(pts([0, 0, 0]), ['min', 'min', 'min'], [1, 2, 3])).toBe(6)
    // two boxes 2·2·1 and 1·1·2 overlapping in 1·1·1
    expect(hypervolume(pts([0, 0, 1], [1, 1, 0]), ['min', 'min', 'min'], [2, 2, 2])).toBe(4 + 2 - 1)
    expect(hypervolume([], ['min', 'min'], [1, 1])).toBe(0)
    expect(hypervolume(pts([2]), ['max'], [0])).toBe(2)
    // a point level with the reference in one objective adds nothing
    expect(hypervolume(pts([1, 4], [4, 1]), ['min', 'min'], [4, 4])).toBe(0)
  })

  for (const m of [2, 3, 4]) {
    it(`matches inclusion–exclusion on random real ${m}-objective sets`, () => {
      fc.assert(
        fc.property(directionsArb(m), realPointsArb(m, 9), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: m, maxLength: m }), (dirs, points, reference) => {
          const exact = inclusionExclusionHypervolume(points, dirs, reference)
          expect(relativeClose(hypervolume(points, dirs, reference), exact, 1e-7)).toBe(true)
        }),
        { numRuns: m === 4 ? 80 : 200 }
      )
    })
  }

  for (const m of [2, 3]) {
    it(`matches unit-cell counting on integer ${m}-objective sets`, () => {
      const side = m === 2 ? 12 : 7
      fc.assert(
        fc.property(directionsArb(m), tiedPointsArb(m, 40, side), (dirs, points) => {
          expect(hypervolume(points, dirs, gridReference(dirs, side))).toBe(gridHypervolume(points, dirs, side))
        }),
        { numRuns: 150 }
      )
    })
  }

  it('never decreases when a point is added, and ignores dominated points, point order and points beyond the reference', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3).chain((m) => fc.tuple(directionsArb(m), realPointsArb(m, 40), realPointsArb(m, 1).filter((p) => p.length === 1), fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: m, maxLength: m }))),
        fc.integer(),
        ([dirs, points, [extra], reference], seed) => {
          const base = hypervolume(points, dirs, reference)
          expect(hypervolume([...points, extra], dirs, reference)).toBeGreaterThanOrEqual(base * (1 - 1e-12))
          expect(relativeClose(hypervolume(paretoFront(points, dirs), dirs, reference), base)).toBe(true)
          const shuffled = points.map((p, i) => ({ p, key: Math.sin(seed + i * 7919) })).sort((a, b) => a.key - b.key).map((x) => x.p)
          expect(relativeClose(hypervolume(shuffled, dirs, reference), base)).toBe(true)
          // a point level with the reference in objective 0 (and better elsewhere) adds nothing
          const onEdge = { id: 'edge', values: dirs.map((d, j) => (j === 0 ? reference[0] : d === 'min' ? reference[j] - 5 : reference[j] + 5)) }
          expect(hypervolume([...points, onEdge], dirs, reference)).toBe(base)
        }
      ),
      { numRuns: 200 }
    )
  })

  it('is exact on a large 3-D front where every point is non-dominated', () => {
    // n points on the plane x + y + z = n, integer coordinates: the dominated region is a union of unit-offset boxes
    const n = 30
    const points: ObjectivePoint[] = []
    for (let x = 0; x <= n; x++) for (let y = 0; x + y <= n; y++) points.push({ id: `${x},${y}`, values: [x, y, n - x - y] })
    expect(paretoFront(points, ['min', 'min', 'min']).length).toBe(points.length)
    const side = n + 1
    // cell [a,a+1]×[b,b+1]×[c,c+1] is covered iff a+b+c >= n (some point ≤ it componentwise)
    let cells = 0
    for (let a = 0; a < side; a++) for (let b = 0; b < side; b++) for (let c = 0; c < side; c++) if (a + b + c >= n) cells++
    expect(hypervolume(points, ['min', 'min', 'min'], [side, side, side])).toBe(cells)
  })
})

describe('step line', () => {
  it('draws the staircase of a latency-vs-accuracy front, closed on the reference when given', () => {
    const front = pts([10, 0.7], [20, 0.8], [40, 0.9], [30, 0.75] /* dominated */, [20, 0.8] /* duplicate */)
    const dirs: ObjectiveDirection[] = ['min', 'max']
    expect(stepLine(front, dirs)).toEqual([[10, 0.7], [20, 0.7], [20, 0.8], [40, 0.8], [40, 0.9]])
    expect(stepLine(front, dirs, [50, 0.5])).toEqual([[10, 0.5], [10, 0.7], [20, 0.7], [20, 0.8], [40, 0.8], [40, 0.9], [50, 0.9]])
    // accuracy on x (max), latency on y (min)
    const swapped = projectObjectives(front, dirs, [1, 0])
    expect(stepLine(swapped.points, swapped.directions, [0.5, 50])).toEqual([[0.5, 10], [0.7, 10], [0.7, 20], [0.8, 20], [0.8, 40], [0.9, 40], [0.9, 50]])
    expect(stepLine([], dirs)).toEqual([])
  })

  it('runs through every front point with alternating axis-parallel steps on the boundary, and encloses the hypervolume', () => {
    fc.assert(
      fc.property(directionsArb(2), fc.oneof(tiedPointsArb(2, 30, 8), realPointsArb(2, 30)), (dirs, points) => {
        const line = stepLine(points, dirs)
        const front = paretoFront(points, dirs)
        for (const p of front) expect(line.some(([x, y]) => x === p.values[0] && y === p.values[1])).toBe(true)
        for (let i = 1; i < line.length; i++) {
          const [x0, y0] = line[i - 1]
          const [x1, y1] = line[i]
          expect(x1).toBeGreaterThanOrEqual(x0)
          // minimising x the line steps along x first (then y, alternating); maximising x it steps along y first
          const alongX = (i % 2 === 1) === (dirs[0] === 'min')
          if (alongX) expect(y1).toBe(y0)
          else expect(x1).toBe(x0)
        }
        for (const v of line) {
          // weakly dominated by a front point, strictly dominated by none: the vertex is on the front's boundary
          expect(front.some((q) => bruteWeaklyDominates(q.values, v, dirs))).toBe(true)
          expect(points.some((q) => (dirs[0] === 'min' ? q.values[0] < v[0] : q.values[0] > v[0]) && (dirs[1] === 'min' ? q.values[1] < v[1] : q.values[1] > v[1]))).toBe(false)
        }
        // closed on the reference, the staircase polygon's area (shoelace) is the hypervolume
        const reference = dirs.map((d) => (d === 'min' ? 11 : -11))
        const closed = stepLine(points, dirs, reference)
        if (closed.length > 0) closed.push([reference[0], reference[1]])
        let twiceArea = 0
        for (let i = 0; i < closed.length; i++) {
          const [x0, y0] = closed[i]
          const [x1, y1] = closed[(i + 1) % closed.length]
          twiceArea += x0 * y1 - x1 * y0
        }
        expect(relativeClose(Math.abs(twiceArea) / 2, hypervolume(points, dirs, reference), 1e-9)).toBe(true)
      }),
      { numRuns: 200 }
    )
  })
})

describe('coverage and attainment', () => {
  it('gives the C-metric of two small fronts (it is not symmetric)', () => {
    const a = pts([1, 4], [2, 2], [4, 1])
    const b = pts([2, 3], [3, 3], [1, 4], [0.5, 5])
    // a covers (2,3), (3,3) and its own (1,4); not (0.5,5)
    expect(coverage(a, b, ['min', 'min'])).toBe(3 / 4)
    // b covers only a's (1,4)
    expect(coverage(b, a, ['min', 'min'])).toBe(1 / 3)
    expect(coverage(a, [], ['min', 'min'])).toBe(0)
    expect(coverage([], a, ['min', 'min'])).toBe(0)
  })

  it('stays in [0, 1], gives C(A, A) = 1 and matches the definition', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3).chain((m) => fc.tuple(directionsArb(m), tiedPointsArb(m, 25), tiedPointsArb(m, 25))), ([dirs, a, b]) => {
        const c = coverage(a, b, dirs)
        expect(c).toBeGreaterThanOrEqual(0)
        expect(c).toBeLessThanOrEqual(1)
        const brute = b.length === 0 ? 0 : b.filter((q) => a.some((p) => bruteWeaklyDominates(p.values, q.values, dirs))).length / b.length
        expect(c).toBe(brute)
        if (a.length > 0) expect(coverage(a, a, dirs)).toBe(1)
      }),
      { numRuns: 200 }
    )
  })

  it('splits the union hypervolume into what each front adds', () => {
    const a = pts([1, 3], [3, 1])
    const b = pts([2, 2], [3, 3])
    const r = attainment(a, b, ['min', 'min'], [4, 4])
    expect(r).toEqual({
      hypervolumeA: 5, hypervolumeB: 4, hypervolumeUnion: 6, addedByA: 2, addedByB: 1,
      coverageAB: 1 / 2, coverageBA: 0, bFrontDominatedByA: 0, aFrontDominatedByB: 0
    })
    const better = attainment(pts([1, 1]), b, ['min', 'min'], [4, 4])
    expect(better.addedByB).toBe(0)
    expect(better.bFrontDominatedByA).toBe(1)
    expect(better.coverageAB).toBe(1)
  })

  it('keeps HV(A ∪ B) = HV(B) + addedByA = HV(A) + addedByB, with nothing added by a subset', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3).chain((m) => fc.tuple(directionsArb(m), realPointsArb(m, 20), realPointsArb(m, 20))), ([dirs, a, b]) => {
        const reference = dirs.map((d) => (d === 'min' ? 11 : -11))
        const r = attainment(a, b, dirs, reference)
        expect(r.addedByA).toBeGreaterThanOrEqual(0)
        expect(r.addedByB).toBeGreaterThanOrEqual(0)
        expect(relativeClose(r.hypervolumeB + r.addedByA, r.hypervolumeUnion)).toBe(true)
        expect(relativeClose(r.hypervolumeA + r.addedByB, r.hypervolumeUnion)).toBe(true)
        const withSubset = attainment([...a, ...b], b, dirs, reference)
        expect(withSubset.addedByB).toBeLessThanOrEqual(1e-9 * Math.max(1, withSubset.hypervolumeUnion))
        for (const share of [r.bFrontDominatedByA, r.aFrontDominatedByB]) {
          expect(share).toBeGreaterThanOrEqual(0)
          expect(share).toBeLessThanOrEqual(1)
        }
      }),
      { numRuns: 150 }
    )
  })
})

describe('default reference', () => {
  it('sits a margin of the value range beyond the worst point of all sets, per direction', () => {
    const run1 = pts([0.9, 20, 5], [0.7, 5, 2])
    const run2 = pts([0.8, 40, 3])
    const reference = defaultReference([run1, run2], ACC_LAT_ENERGY)
    expect(reference[0]).toBeCloseTo(0.7 - 0.1 * 0.2, 12)
    expect(reference[1]).toBeCloseTo(40 + 0.1 * 35, 12)
    expect(reference[2]).toBeCloseTo(5 + 0.1 * 3, 12)
    // all values equal: step by |value|, or by 1 at zero
    expect(defaultReference([pts([2, 0])], ['min', 'max'], 0.5)).toEqual([3, -0.5])
  })

  it('makes every non-empty run have a positive hypervolume so runs are comparable', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3).chain((m) => fc.tuple(directionsArb(m), fc.array(realPointsArb(m, 10).filter((s) => s.length > 0), { minLength: 1, maxLength: 4 }))), ([dirs, sets]) => {
        const reference = defaultReference(sets, dirs)
        for (const set of sets) {
          for (const p of set) dirs.forEach((d, j) => expect(d === 'min' ? p.values[j] < reference[j] : p.values[j] > reference[j]).toBe(true))
          // (a volume of subnormal sides may round to 0, hence the floor on magnitudes here)
          if (set.every((p) => p.values.every((v) => v === 0 || Math.abs(v) > 1e-100))) expect(hypervolume(set, dirs, reference)).toBeGreaterThan(0)
        }
      }),
      { numRuns: 150 }
    )
  })
})
