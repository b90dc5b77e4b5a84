// LabApi handlers for profiling and lookup tables: start a profile job on the device's queue, list/get/export/
// import tables, and predict a network from a table.
import path from 'node:path'
import type { Handlers } from '../api/dispatch'
import { describeCalibration, type LookupTableSummary } from '../../shared/contract/profile'
import type { Lab } from '../lab'
import type { JobService } from '../jobs/runner'
import { LabError } from '../../shared/errors'
import { HOST_SERIAL } from '../devices/registry'
import { architectureKeys, enumerateBlockConfigs, getSpace, parseArchitecture, type SearchSpace } from '../model/space'
import type { Store } from '../store'
import type { ProfileJobParams } from './job'
import { predictNetwork } from './predictor'
import { recordToSummary, recordToTable, tableFromYaml, tableToYaml, toNewLookupTable, type TableToSave } from './table'

type ProfileHandlerNames = 'profile.start' | 'tables.list' | 'tables.get' | 'tables.export' | 'tables.import' | 'tables.predict'

/** The lab service a profile job calls to store its table (jobs reach the store only through services). */
export function saveLookupTableService(store: Store): JobService {
  return async (args) => recordToSummary(store.insertLookupTable(toNewLookupTable(args as TableToSave)))
}

/** The space a table was measured for, from the options its record reports (recordToTable fills in old tables' defaults). */
function tableSpace(space: string, options: NonNullable<LookupTableSummary['spaceOptions']>): SearchSpace | null {
  try {
    return getSpace(space, { input: options.input as 'fashion-mnist' | 'cifar10' | undefined, widthMult: options.widthMult, stemStride: options.stemStride })
  } catch {
    return null
  }
}

/**
 * The variant of a space (input, stem stride; width 1) whose block keys a table covers best: an imported table
 * names no options, but its keys carry every shape.
 */
export function spaceOfKeys(name: 'small' | 'mobile', keys: readonly string[]): { space: SearchSpace; options: { input?: string; widthMult: number; stemStride: 1 | 2 } } {
  const have = new Set(keys)
  const variants = name === 'small' ? (['fashion-mnist', 'cifar10'] as const).flatMap((input) => ([2, 1] as const).map((stemStride) => ({ input, stemStride }))) : [{ input: undefined, stemStride: 1 as const }]
  let best: { space: SearchSpace; options: { input?: string; widthMult: number; stemStride: 1 | 2 }; hits: number } | null = null
  for (const v of variants) {
    const space = getSpace(name, { input: v.input, stemStride: v.stemStride })
    const hits = enumerateBlockConfigs(space).filter((c) => have.has(c.key)).length
    if (!best || hits > best.hits) best = { space, options: { ...(v.input ? { input: v.input } : {}), widthMult: 1, stemStride: v.stemStride }, hits }
  }
  const chosen = best as NonNullable<typeof best>
  return { space: chosen.space, options: chosen.options }
}

export function profileHandlers(lab: Lab): Pick<Handlers, ProfileHandlerNames> {
  const getRecord = (id: string) => {
    const r = lab.store.getLookupTable(id)
    if (!r) throw new LabError('not_found', `There is no lookup table ${id}; list them with "tables.list" (CLI: proxyless-lab table list).`)
    return r
  }
  return {
    'profile.start': async (req) => {
      if (req.serial !== HOST_SERIAL) await lab.startDevices()
      const device = lab.registry.get(req.serial)
      if (device.state !== 'device') throw new LabError('device_unavailable', `${device.label} is ${device.state}: ${device.stateHint ?? 'wait until it is ready'}.`)
      req = { ...req, stemStride: req.stemStride ?? (req.space === 'small' ? 2 : 1) }
      getSpace(req.space, { input: req.input, widthMult: req.widthMult, stemStride: req.stemStride })
      const run = lab.store.insertRun({
        kind: 'profile',
        name: `Profile ${req.space} on ${device.label} (${req.method})`,
        deviceSerial: req.serial,
        status: 'queued',
        settings: req
      })
      const params: ProfileJobParams = { ...req, runId: run.id, deviceLabel: device.label }
      return lab.jobs.start({ kind: 'profile', params, title: `Profile ${req.space} space on ${device.label}`, queue: `device:${req.serial}`, runId: run.id })
    },
    'tables.list': async (req) => lab.store.listLookupTables({ deviceSerial: req.serial, spaceName: req.space }).map(recordToSummary),
    'tables.get': async (req) => recordToTable(getRecord(req.id)),
    'tables.export': async (req) => {
      const t = recordToTable(getRecord(req.id))
      const header = [
        `Proxyless Lab lookup table ${t.id}: ${t.space} space on ${t.deviceLabel} (${t.deviceSerial}), ${t.precision}, method ${t.method}, ${t.source}.`,
        'Latency in ms (mean, std over count runs), ProxylessNAS / Once-for-All key scheme; energy_mj per inference where measured.',
        ...(t.check ? [`Predictor: latency = ${describeCalibration(t.check, 4)}; ${(100 * t.check.within10Pct).toFixed(1)}% of ${t.check.networks} networks within ±10%.`] : [])
      ]
      const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_')
      return { yaml: tableToYaml(t.rows, header), fileName: path.basename(`${safe(t.deviceSerial)}_${t.space}_${t.precision}_lookup_table.yaml`) }
    },
    'tables.import': async (req) => {
      // The keys carry the shapes, so they tell which variant of the space the table was measured for.
      const { space, options } = spaceOfKeys(req.space, tableFromYaml(req.yaml, null).map((r) => r.key))
      const rows = tableFromYaml(req.yaml, space)
      let label = req.serial
      try {
        label = lab.registry.get(req.serial).label
      } catch {
        // A table from a phone this lab has never seen: keep the serial as its label.
      }
      const record = lab.store.insertLookupTable(
        toNewLookupTable({
          deviceSerial: req.serial,
          space: req.space,
          meta: { deviceLabel: label, method: 'per-block', precision: 'fp32', settings: null, runId: null, durationMs: { packed: null, perBlock: null }, source: 'imported', spaceOptions: options, ...(req.name ? { name: req.name } : {}) },
          rows,
          check: null
        })
      )
      return recordToSummary(record)
    },
    'tables.predict': async (req) => {
      const t = recordToTable(getRecord(req.id))
      const space = tableSpace(t.space, t.spaceOptions ?? { widthMult: 1, stemStride: 1 })
      if (!space) throw new LabError('bad_request', `The table's space "${t.space}" is not one this lab knows, so its networks cannot be named.`)
      const keys = architectureKeys(space, parseArchitecture(space, req.architecture))
      return predictNetwork(t.rows, keys, t.check)
    }
  }
}
