// Pareto fronts of runs: accuracy (up) against measured or predicted latency / energy (down), each run against one
// shared reference point so their hypervolumes can be compared, plus attainment between every pair of runs.
import type { CompareFronts, CompareObjective, CompareXAxis, ComparePoint, PairAttainment, RunFront } from '../../shared/contract/compare'
import { LabError } from '../../shared/errors'
import { attainment, defaultReference, hypervolume, paretoRanks, stepLine, type ObjectiveDirection, type ObjectivePoint } from '../../shared/pareto'
import type { Store } from '../store'
import { measurementsByCandidate, pickMeasurement, type DeviceLookup } from './candidates'
import type { MeasurementRecord } from '../store'

/** Points are [x, accuracy]: x is minimised, accuracy maximised. */
export const FRONT_DIRECTIONS: readonly ObjectiveDirection[] = ['min', 'max']

export interface FrontsRequest {
  runIds: string[]
  objective: CompareObjective
  xAxis: CompareXAxis
  serial?: string
}

export function xUnitOf(objective: CompareObjective): string {
  return objective === 'latency' ? 'ms' : 'mJ'
}

interface RunPoints {
  run: NonNullable<ReturnType<Store['getRun']>>
  serial: string | null
  points: Omit<ComparePoint, 'rank' | 'dominated'>[]
  missing: number
}

function collectRunPoints(store: Store, runId: string, req: FrontsRequest, measured: Map<string, MeasurementRecord[]>): RunPoints {
  const run = store.getRun(runId)
  if (!run) throw new LabError('not_found', `Run ${runId} does not exist (or was deleted); pick runs again from the list.`, 'runIds')
  const serial = req.serial ?? run.deviceSerial
  const points: RunPoints['points'] = []
  let missing = 0
  for (const c of store.listCandidates(run.id)) {
    const m = pickMeasurement(measured.get(c.id) ?? [], serial)
    const latencyMs = m?.latencyMeanMs ?? null
    const energyMj = m?.energyMj ?? null
    const x =
      req.xAxis === 'measured' ? (req.objective === 'latency' ? latencyMs : energyMj) : req.objective === 'latency' ? c.predictedLatencyMs : c.predictedEnergyMj
    if (c.accuracy === null || x === null || !Number.isFinite(x) || !Number.isFinite(c.accuracy)) {
      missing++
      continue
    }
    points.push({
      candidateId: c.id,
      name: c.name,
      accuracy: c.accuracy,
      x,
      latencyMs,
      energyMj,
      predictedLatencyMs: c.predictedLatencyMs,
      predictedEnergyMj: c.predictedEnergyMj,
      sizeBytes: c.sizeBytes,
      macs: c.macs
    })
  }
  return { run, serial, points, missing }
}

export function objectivePoints(points: readonly { candidateId: string; x: number; accuracy: number }[]): ObjectivePoint[] {
  return points.map((p) => ({ id: p.candidateId, values: [p.x, p.accuracy] }))
}

export function computeFronts(store: Store, req: FrontsRequest, devices: DeviceLookup): CompareFronts {
  const unique = [...new Set(req.runIds)]
  const measured = measurementsByCandidate(store)
  const collected = unique.map((id) => collectRunPoints(store, id, req, measured))
  const sets = collected.map((c) => objectivePoints(c.points))
  const hasPoints = sets.some((s) => s.length > 0)
  const reference = hasPoints ? (defaultReference(sets, FRONT_DIRECTIONS) as [number, number]) : null
  const runs: RunFront[] = collected.map((c, i) => {
    const set = sets[i]
    const ranks = set.length ? paretoRanks(set, FRONT_DIRECTIONS) : []
    const points: ComparePoint[] = c.points.map((p, k) => ({ ...p, rank: ranks[k], dominated: ranks[k] > 0 }))
    const frontPoints = set.filter((_, k) => ranks[k] === 0)
    return {
      runId: c.run.id,
      name: c.run.name,
      kind: c.run.kind,
      deviceSerial: c.serial,
      deviceLabel: c.serial === null ? 'Any device' : devices.label(c.serial),
      points,
      front: frontPoints.map((p) => p.id),
      step: reference && frontPoints.length ? stepLine(frontPoints, FRONT_DIRECTIONS, reference) : [],
      hypervolume: reference ? hypervolume(frontPoints, FRONT_DIRECTIONS, reference) : 0,
      missing: c.missing
    }
  })
  const pairs: PairAttainment[] = []
  if (reference) {
    for (let a = 0; a < runs.length; a++) {
      for (let b = a + 1; b < runs.length; b++) {
        pairs.push({ runA: runs[a].runId, runB: runs[b].runId, ...attainment(sets[a], sets[b], FRONT_DIRECTIONS, reference) })
      }
    }
  }
  return { objective: req.objective, xAxis: req.xAxis, xUnit: xUnitOf(req.objective), reference, runs, attainment: pairs }
}
