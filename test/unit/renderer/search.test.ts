// The Search view's pure parts: the form's sentences, the request it sends (accepted by the lab's own schema), the
// tables it offers, probabilities read from live counters, and the chart options built from a history.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { LabError, SearchRequestSchema, type DeviceInfo, type JobInfo, type LabEvent, type LookupTableSummary, type MethodName, type SearchHistory } from '../../../src/shared/api'
import type { ConnectionStatus, LabConnection } from '../../../src/renderer/src/lab/transport'
import { useDevicesStore } from '../../../src/renderer/src/stores/devices'
import { useJobsStore } from '../../../src/renderer/src/stores/jobs'
import { useLabStore } from '../../../src/renderer/src/stores/lab'
import { useTablesStore } from '../../../src/renderer/src/stores/tables'
import { FALLBACK_PALETTE } from '../../../src/renderer/src/lab/charts'
import {
  DEFAULT_SEARCH_FORM,
  buildSearchRequest,
  describeSearchRequest,
  likeliestOps,
  parseNumberList,
  probabilitiesFromCounters,
  searchFormProblems,
  tablesForSearch,
  useSearchStore,
  type SearchForm
} from '../../../src/renderer/src/stores/search'
import { expectedCostOption, opOrder, phaseSpans, probabilitiesOption, trainingOption } from '../../../src/renderer/src/components/search/charts'

const form = (over: Partial<SearchForm> = {}): SearchForm => ({ ...DEFAULT_SEARCH_FORM, ...over })
const TARGETS = { name: 'targets', unit: ' ms', min: 0, max: 1e6, minExclusive: true, example: '5, 10, 20' }

describe('parseNumberList', () => {
  it('reads numbers separated by commas, spaces or semicolons; empty text is an empty list', () => {
    expect(parseNumberList(' 5, 10 ;20 ', TARGETS)).toEqual([5, 10, 20])
    expect(parseNumberList('', TARGETS)).toEqual([])
    expect(parseNumberList('0.25,', TARGETS)).toEqual([0.25])
  })

  it('names the value it cannot read or that is out of range', () => {
    expect(parseNumberList('5, fast', TARGETS)).toMatch(/“fast” is not a number.*e\.g\. 5, 10, 20/)
    expect(parseNumberList('0', TARGETS)).toMatch(/above 0 ms.*0 is not/)
    expect(parseNumberList('-3', TARGETS)).toMatch(/-3 is not/)
    expect(parseNumberList('1 2 3 4 5 6 7 8 9 10 11', TARGETS)).toMatch(/At most 10 targets/)
  })
})

describe('searchFormProblems', () => {
  it('finds nothing wrong with the defaults', () => {
    expect(searchFormProblems(form())).toEqual({})
  })

  it('explains bad targets, λ values, epochs and image counts in sentences', () => {
    const p = searchFormProblems(form({ targets: '5 ms', warmupEpochs: 1.5, searchEpochs: 0, trainImages: 5, validationImages: 7000, testImages: 20_000, benchmarkRuns: 0 }))
    expect(p.targets).toMatch(/“ms” is not a number/)
    expect(p.warmupEpochs).toMatch(/whole number from 0 to 500/)
    expect(p.searchEpochs).toMatch(/from 1 to 500/)
    expect(p.trainImages).toMatch(/from 10 to 54,000.*Fashion-MNIST/)
    expect(p.validationImages).toMatch(/6,000/)
    expect(p.testImages).toMatch(/10,000/)
    expect(p.benchmarkRuns).toMatch(/1 to 1,000/)
    expect(searchFormProblems(form({ dataset: 'cifar10', trainImages: 50_000 })).trainImages).toMatch(/45,000.*CIFAR-10/)
  })

  it('a λ sweep needs at least one λ and at most one target', () => {
    expect(searchFormProblems(form({ sweep: 'lambdas' })).lambdas).toMatch(/at least one λ/)
    expect(searchFormProblems(form({ sweep: 'lambdas', lambdas: '0.1, 200' })).lambdas).toMatch(/at most 100/)
    expect(searchFormProblems(form({ sweep: 'lambdas', lambdas: '1', targets: '5, 10' })).targets).toMatch(/one target/)
    expect(searchFormProblems(form({ sweep: 'lambdas', lambdas: '0.5 1', targets: '5' }))).toEqual({})
    // λ text is ignored while the sweep is over targets
    expect(searchFormProblems(form({ lambdas: 'nonsense' }))).toEqual({})
  })

  it('checks the int8 test images only when int8 is exported, and against the test images', () => {
    expect(searchFormProblems(form({ int8EvalImages: 3000, testImages: 2000 })).int8EvalImages).toMatch(/2,000 test images/)
    expect(searchFormProblems(form({ int8: false, int8EvalImages: 3000 }))).toEqual({})
  })
})

describe('buildSearchRequest', () => {
  it('sends targets in the objective’s unit, the chosen table, and a request the lab accepts', () => {
    const req = buildSearchRequest('emulator-5554', form({ tableId: 't1', targets: '4, 8', trainImages: 300, validationImages: 100, testImages: 200, warmupEpochs: 1, searchEpochs: 1, retrainEpochs: 1, baselines: false, int8EvalImages: 50, benchmarkRuns: 3 }))
    const parsed = SearchRequestSchema.parse(req)
    expect(parsed.tableId).toBe('t1')
    expect(parsed.targetsMs).toEqual([4, 8])
    expect(parsed.targetsMj).toEqual([])
    expect(parsed.baselines).toEqual([])
    expect(parsed.subset).toEqual({ train: 300, validation: 100, test: 200 })
    expect(parsed.epochs).toEqual({ warmup: 1, search: 1, retrain: 1 })
    expect(parsed.precisions).toEqual(['fp32', 'int8'])
    expect(parsed.benchmark.runs).toBe(3)
    expect(parsed.benchmark.warmupRuns).toBe(3)
  })

  it('measures the blocks first without a table, keeps the default baselines, and uses mJ for energy', () => {
    const parsed = SearchRequestSchema.parse(buildSearchRequest('p', form({ objective: 'energy', targets: '2', int8: false })))
    expect(parsed.tableId).toBeUndefined()
    expect(parsed.targetsMj).toEqual([2])
    expect(parsed.targetsMs).toEqual([])
    expect(parsed.baselines).toHaveLength(3)
    expect(parsed.precisions).toEqual(['fp32'])
    expect(parsed.int8EvalImages).toBe(0)
  })

  it('leaves the loss to the lab unless one is chosen', () => {
    expect(buildSearchRequest('p', form())).not.toHaveProperty('lossForm')
    expect(buildSearchRequest('p', form({ lossForm: 'mul#log' })).lossForm).toBe('mul#log')
  })

  it('a λ sweep sends the λ values with the add#linear loss', () => {
    const parsed = SearchRequestSchema.parse(buildSearchRequest('p', form({ sweep: 'lambdas', lambdas: '0.1 1 5', targets: '6', lossForm: 'mul#log' })))
    expect(parsed.lambdas).toEqual([0.1, 1, 5])
    expect(parsed.targetsMs).toEqual([6])
    expect(parsed.lossForm).toBe('add#linear')
  })
})

function table(id: string, serial: string, space: string, createdAt: number, input?: string): LookupTableSummary {
  return {
    id,
    deviceSerial: serial,
    deviceLabel: serial,
    space,
    method: 'packed',
    precision: 'fp32',
    settings: input ? { spaceOptions: { input } } : {},
    entries: 40,
    createdAt,
    runId: null,
    check: null,
    durationMs: { packed: null, perBlock: null },
    source: 'measured'
  }
}

describe('the space of the chosen table', () => {
  it('searches the space a Profile table was measured for (stem stride 1), so every key of the table fits', () => {
    const t = table('t1', 'p1', 'small', 1, 'fashion-mnist')
    const parsed = SearchRequestSchema.parse(buildSearchRequest('p1', form({ tableId: 't1', targets: '2' }), t))
    expect(parsed.tableId).toBe('t1')
    expect(parsed.stemStride).toBe(1)
    expect(parsed.widthMult).toBe(1)
  })

  it('follows a table that records its own stem stride and width', () => {
    const t = { ...table('t2', 'p1', 'small', 1), settings: { spaceOptions: { input: 'fashion-mnist', stemStride: 2, widthMult: 0.5 } } }
    const parsed = SearchRequestSchema.parse(buildSearchRequest('p1', form({ tableId: 't2', targets: '2' }), t))
    expect(parsed).toMatchObject({ stemStride: 2, widthMult: 0.5 })
  })

  it('follows the space options the lab reports with the table (a new Profile table: stride 2)', () => {
    const t = { ...table('t3', 'p1', 'small', 1), spaceOptions: { widthMult: 1, stemStride: 2 as const } }
    expect(SearchRequestSchema.parse(buildSearchRequest('p1', form({ tableId: 't3', targets: '2' }), t)).stemStride).toBe(2)
    const old = { ...table('t4', 'p1', 'small', 1), spaceOptions: { widthMult: 1, stemStride: 1 as const } }
    expect(SearchRequestSchema.parse(buildSearchRequest('p1', form({ tableId: 't4', targets: '2' }), old)).stemStride).toBe(1)
  })

  it('leaves the search’s own space (stem stride 2) when the blocks are measured first, or the table is not the chosen one', () => {
    expect(SearchRequestSchema.parse(buildSearchRequest('p1', form({ tableId: '', targets: '2' }), table('t1', 'p1', 'small', 1))).stemStride).toBe(2)
    expect(SearchRequestSchema.parse(buildSearchRequest('p1', form({ tableId: 'other', targets: '2' }), table('t1', 'p1', 'small', 1))).stemStride).toBe(2)
  })
})

describe('tablesForSearch', () => {
  const all = [table('a', 'p1', 'small', 1), table('b', 'p1', 'small', 3, 'fashion-mnist'), table('c', 'p1', 'small', 2, 'cifar10'), table('d', 'p2', 'small', 4), table('e', 'p1', 'mobile', 5)]
  it('offers the device’s tables for the dataset’s input, newest first', () => {
    expect(tablesForSearch(all, 'p1', 'fashion-mnist').map((t) => t.id)).toEqual(['b', 'a'])
    expect(tablesForSearch(all, 'p1', 'mnist').map((t) => t.id)).toEqual(['b', 'a'])
    expect(tablesForSearch(all, 'p1', 'cifar10').map((t) => t.id)).toEqual(['c'])
    expect(tablesForSearch(all, null, 'cifar10')).toEqual([])
  })
})

describe('probabilities from live counters', () => {
  it('groups p.b<block>.<op> by block, ignoring the other counters', () => {
    const p = probabilitiesFromCounters({ epoch: 1, loss: 2, 'p.b1.k3e3': 0.2, 'p.b1.zero': 0.8, 'p.b2.k5e6': 0.7, 'p.b2.k3e3': 0.3 })
    expect(p).toEqual({ ops: [['k3e3', 'zero'], ['k5e6', 'k3e3']], values: [[0.2, 0.8], [0.7, 0.3]] })
    expect(likeliestOps(p!)).toEqual(['zero', 'k5e6'])
  })

  it('is null outside a search (no probability counters)', () => {
    expect(probabilitiesFromCounters({ epoch: 1, loss: 2 })).toBeNull()
    expect(probabilitiesFromCounters(undefined)).toBeNull()
  })
})

const history: SearchHistory = {
  runId: 'r',
  name: 'Search',
  serial: 'p',
  state: 'running',
  jobId: 'j',
  stage: null,
  request: SearchRequestSchema.parse({ serial: 'p', targetsMs: [5] }),
  trainingEngine: { backend: 'wasm', nativeKernels: true },
  objective: 'latency',
  unit: 'ms',
  phases: [
    { kind: 'warmup', label: 'Warm-up', target: null, lambda: null, firstStep: 0 },
    { kind: 'search', label: 'Search for target 5 ms', target: 5, lambda: null, firstStep: 4 },
    { kind: 'retrain', label: 'Retraining', target: 5, lambda: null, firstStep: 8 }
  ],
  points: [
    { step: 1, phase: 0, epoch: 1, loss: 2.3, accuracy: 0.1, expectedCost: null, epochEnd: false },
    { step: 4, phase: 0, epoch: 1, loss: 2, accuracy: 0.2, expectedCost: null, epochEnd: true },
    { step: 5, phase: 1, epoch: 1, loss: 1.9, accuracy: 0.3, expectedCost: 7, epochEnd: false },
    { step: 8, phase: 1, epoch: 1, loss: 1.7, accuracy: 0.4, expectedCost: 6, epochEnd: true },
    { step: 9, phase: 2, epoch: 1, loss: 1.5, accuracy: 0.5, expectedCost: null, epochEnd: false }
  ],
  probabilities: null,
  derived: []
}

describe('search charts', () => {
  it('spans each phase from its first step to its newest point', () => {
    expect(phaseSpans(history).map((s) => [s.info.kind, s.from, s.to])).toEqual([
      ['warmup', 0, 4],
      ['search', 4, 8],
      ['retrain', 8, 9]
    ])
  })

  it('draws loss and accuracy (in %) per step, and shades the search', () => {
    const o = trainingOption(history, FALLBACK_PALETTE) as { series: { name: string; data: number[][]; markArea?: { data: unknown[] } }[] }
    expect(o.series[0].data).toHaveLength(5)
    expect(o.series[1].data[4]).toEqual([9, 50])
    expect(o.series[0].markArea?.data).toEqual([[{ name: 'search', xAxis: 4 }, { xAxis: 8 }]])
  })

  it('draws the expected latency of the search against its target', () => {
    const o = expectedCostOption(history, FALLBACK_PALETTE) as { series: { name: string; data: number[][] }[]; yAxis: { name: string } }
    expect(o.yAxis.name).toBe('Latency (ms)')
    expect(o.series.find((s) => s.name === 'Expected latency')?.data).toEqual([
      [5, 7],
      [8, 6]
    ])
    expect(o.series.find((s) => s.name === 'Target')?.data).toEqual([
      [4, 5],
      [8, 5]
    ])
  })

  it('orders ops by kernel then expansion with skip last, and outlines each block’s likeliest op', () => {
    expect(opOrder([['zero', 'k5e3', 'k3e6'], ['k3e3', 'k7e6']])).toEqual(['k3e3', 'k3e6', 'k5e3', 'k7e6', 'zero'])
    const o = probabilitiesOption({ ops: [['k3e3', 'zero']], values: [[0.3, 0.7]] }, FALLBACK_PALETTE) as {
      yAxis: { data: string[] }
      series: { data: { value: number[]; itemStyle: { borderWidth?: number } }[] }[]
    }
    expect(o.yAxis.data).toEqual(['k3e3', 'skip'])
    expect(o.series[0].data.map((c) => c.value)).toEqual([
      [0, 0, 0.3],
      [0, 1, 0.7]
    ])
    expect(o.series[0].data.map((c) => c.itemStyle.borderWidth ?? 0)).toEqual([0, 1.5])
  })

  it('describes a run’s settings in one line', () => {
    expect(describeSearchRequest(history.request, 'ms')).toBe('Fashion-MNIST · latency · target 5 ms · blocks measured first · epochs 2/2/3 · 4,000 training images')
    expect(describeSearchRequest(null, 'ms')).toMatch(/older lab/)
  })
})

// ---- the store against a stand-in lab connection ----

type Handler = (request: any) => unknown
class FakeLab implements LabConnection {
  readonly transport = 'websocket' as const
  readonly calls: { method: string; request: unknown }[] = []
  constructor(private readonly handlers: Partial<Record<MethodName, Handler>>) {}
  async call(method: MethodName, request: unknown): Promise<any> {
    this.calls.push({ method, request })
    const h = this.handlers[method]
    if (!h) throw new LabError('not_found', `No ${method} here.`)
    return h(request)
  }
  onEvent(_: (e: LabEvent) => void): () => void {
    return () => undefined
  }
  status(): ConnectionStatus {
    return { state: 'open' }
  }
  onStatus(): () => void {
    return () => undefined
  }
  retryNow(): void {}
  close(): void {}
}

const phone = (serial: string, over: Partial<DeviceInfo> = {}) => ({ serial, kind: 'virtual', state: 'device', stateHint: null, label: `Phone ${serial}`, ...over }) as DeviceInfo
const searchJob: JobInfo = { id: 'job-s', kind: 'search', title: 'Search', queue: 'cpu', state: 'queued', params: {}, progress: null, createdAt: 1, startedAt: null, finishedAt: null, error: null, result: null, runId: 'run-s' }

describe('search store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('picks the phone and its newest table, starts the search with them and shows the new run', async () => {
    const fake = new FakeLab({
      'devices.list': () => [phone('host', { kind: 'host', label: 'This computer' }), phone('p1')],
      'tables.list': () => [table('old', 'p1', 'small', 1), table('new', 'p1', 'small', 2), table('other', 'p2', 'small', 3)],
      'search.start': () => searchJob,
      'search.history': () => ({ ...history, runId: 'run-s', jobId: 'job-s', points: [] }),
      'candidates.list': () => [],
      'runs.list': () => [{ id: 'run-s', kind: 'search', name: 'Search', deviceSerial: 'p1', status: 'queued', createdAt: 1, finishedAt: null, tags: [], settings: {}, figures: {} }]
    })
    useLabStore().attach(fake)
    const devices = useDevicesStore()
    const search = useSearchStore()
    await devices.refresh()
    await useTablesStore().refresh()
    await Promise.resolve()
    expect(devices.selectedSerial).toBe('p1')
    expect(search.form.tableId).toBe('new')
    search.chooseTable('')
    search.form.targets = '3'
    expect(search.blockedReason).toBeNull()
    await search.start()
    const sent = fake.calls.find((c) => c.method === 'search.start')?.request as Record<string, unknown>
    expect(sent).toMatchObject({ serial: 'p1', targetsMs: [3], dataset: 'fashion-mnist' })
    expect(sent.tableId).toBeUndefined()
    expect(sent.stemStride).toBeUndefined()
    // With the phone's table, the search is told the table's space.
    search.chooseTable('new')
    await search.start()
    const withTable = fake.calls.filter((c) => c.method === 'search.start')[1]?.request as Record<string, unknown>
    expect(withTable).toMatchObject({ serial: 'p1', tableId: 'new', stemStride: 1 })
    expect(search.runId).toBe('run-s')
    expect(search.job?.id).toBe('job-s')
    expect(search.running).toBe(true)
    expect(useJobsStore().trayJobs.map((j) => j.id)).toContain('job-s')
  })

  it('keeps the lab’s sentence when search.start is refused, and blocks Start on a bad field', async () => {
    const fake = new FakeLab({
      'devices.list': () => [phone('p1')],
      'search.start': () => {
        throw new LabError('device_unavailable', 'Phone p1 is offline: reconnect the cable.')
      }
    })
    useLabStore().attach(fake)
    await useDevicesStore().refresh()
    const search = useSearchStore()
    search.form.targets = 'soon'
    expect(search.blockedReason).toMatch(/Fix the settings/)
    search.form.targets = ''
    await search.start()
    expect(search.startError).toBe('Phone p1 is offline: reconnect the cable.')
  })

  it('says what to do when no device is known', async () => {
    useLabStore().attach(new FakeLab({ 'devices.list': () => [] }))
    await useDevicesStore().refresh()
    expect(useSearchStore().blockedReason).toMatch(/No phone is known yet/)
  })
})
