// The Search view's state: device, lookup table, dataset and targets of a new search; the search run on screen with
// its recorded history (search.history), its live job and its measured candidates.
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import type { CandidateInfo, JobInfo, LookupTableSummary, RunSummary, SearchHistory, SearchProbabilities, SearchRequest, SearchRequestInput } from '../../../shared/api'
import { isFinishedJobState } from '../lab/format'
import { spaceChoice, tableMatchesChoice, tableSpaceOptions } from '../lab/lut'
import { deviceNotReadyReason, useDevicesStore } from './devices'
import { useJobsStore } from './jobs'
import { errorSentence, useLabStore } from './lab'
import { useTablesStore } from './tables'

export type SearchDataset = 'fashion-mnist' | 'mnist' | 'cifar10'
export type SearchObjective = 'latency' | 'energy'
export type SearchSweep = 'targets' | 'lambdas'

export interface SearchForm {
  /** A lookup table of the device, or '' to measure the blocks first. */
  tableId: string
  dataset: SearchDataset
  objective: SearchObjective
  sweep: SearchSweep
  /** Comma-separated targets in ms (latency) or mJ (energy); empty = three automatic targets. */
  targets: string
  /** Comma-separated λ values of the add#linear loss (sweep 'lambdas'). */
  lambdas: string
  /** '' leaves the loss to the lab's default. */
  lossForm: '' | SearchRequest['lossForm']
  derive: SearchRequest['derive']
  warmupEpochs: number
  searchEpochs: number
  retrainEpochs: number
  /** The derived network starts from scratch (default; the baselines then train as long) or from the supernet's weights. */
  retrain: SearchRequest['retrain']
  trainImages: number
  validationImages: number
  testImages: number
  baselines: boolean
  int8: boolean
  int8EvalImages: number
  benchmarkRuns: number
}

export const DEFAULT_SEARCH_FORM: SearchForm = {
  tableId: '',
  dataset: 'fashion-mnist',
  objective: 'latency',
  sweep: 'targets',
  targets: '',
  lambdas: '',
  lossForm: '',
  derive: 'within-target',
  warmupEpochs: 2,
  searchEpochs: 2,
  retrainEpochs: 3,
  retrain: 'scratch',
  trainImages: 4000,
  validationImages: 1000,
  testImages: 2000,
  baselines: true,
  int8: true,
  int8EvalImages: 300,
  benchmarkRuns: 20
}

export const DATASET_CHOICES: readonly { value: SearchDataset; title: string }[] = [
  { value: 'fashion-mnist', title: 'Fashion-MNIST' },
  { value: 'mnist', title: 'MNIST' },
  { value: 'cifar10', title: 'CIFAR-10' }
]

/** Images a split can draw from: validation is a tenth of the training set, test is the dataset's own. */
const DATASET_IMAGES: Record<SearchDataset, { train: number; validation: number; test: number }> = {
  'fashion-mnist': { train: 54_000, validation: 6_000, test: 10_000 },
  mnist: { train: 54_000, validation: 6_000, test: 10_000 },
  cifar10: { train: 45_000, validation: 5_000, test: 10_000 }
}

export const objectiveUnit = (objective: SearchObjective): 'ms' | 'mJ' => (objective === 'latency' ? 'ms' : 'mJ')

/** '5, 10 20' → [5, 10, 20]; a sentence when a value is not a number or out of range. Empty text is an empty list. */
export function parseNumberList(text: string, what: { name: string; unit: string; min: number; max: number; minExclusive?: boolean; example: string }): number[] | string {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '')
  const values: number[] = []
  for (const part of parts) {
    const v = Number(part)
    if (!Number.isFinite(v)) return `“${part}” is not a number: write ${what.name} separated by commas, e.g. ${what.example}.`
    const tooLow = what.minExclusive ? v <= what.min : v < what.min
    if (tooLow || v > what.max) return `${what.name[0].toUpperCase()}${what.name.slice(1)} must be ${what.minExclusive ? 'above' : 'at least'} ${what.min}${what.unit} and at most ${what.max.toLocaleString('en')}${what.unit}; ${part} is not.`
    values.push(v)
  }
  if (values.length > 10) return `At most 10 ${what.name} per run (each one is a search of its own); there are ${values.length}.`
  return values
}

const TARGETS = (unit: string) => ({ name: 'targets', unit: ` ${unit}`, min: 0, max: 1e6, minExclusive: true, example: unit === 'ms' ? '5, 10, 20' : '1, 2, 4' })
const LAMBDAS = { name: 'λ values', unit: '', min: 0, max: 100, example: '0.1, 1, 5' }

export type SearchFormField = 'targets' | 'lambdas' | 'warmupEpochs' | 'searchEpochs' | 'retrainEpochs' | 'trainImages' | 'validationImages' | 'testImages' | 'int8EvalImages' | 'benchmarkRuns'
export type SearchFormProblems = Partial<Record<SearchFormField, string>>

function whole(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max
}

/** Sentences for the fields the lab would refuse, keyed by field; empty when the search can start. */
export function searchFormProblems(form: SearchForm): SearchFormProblems {
  const p: SearchFormProblems = {}
  const unit = objectiveUnit(form.objective)
  const targets = parseNumberList(form.targets, TARGETS(unit))
  if (typeof targets === 'string') p.targets = targets
  else if (form.sweep === 'lambdas' && targets.length > 1) p.targets = `A λ sweep uses one target; write one number of ${unit}, or leave it empty for the cost of the uniform k3e6 network.`
  if (form.sweep === 'lambdas') {
    const lambdas = parseNumberList(form.lambdas, LAMBDAS)
    if (typeof lambdas === 'string') p.lambdas = lambdas
    else if (lambdas.length === 0) p.lambdas = 'Write at least one λ, e.g. 0.1, 1, 5: each one is a search of its own.'
  }
  if (!whole(form.warmupEpochs, 0, 500)) p.warmupEpochs = 'Warm-up epochs must be a whole number from 0 to 500.'
  if (!whole(form.searchEpochs, 1, 500)) p.searchEpochs = 'Search epochs must be a whole number from 1 to 500.'
  if (!whole(form.retrainEpochs, 0, 500)) p.retrainEpochs = 'Retrain epochs must be a whole number from 0 to 500.'
  const images = DATASET_IMAGES[form.dataset]
  const name = DATASET_CHOICES.find((d) => d.value === form.dataset)?.title ?? form.dataset
  if (!whole(form.trainImages, 10, images.train)) p.trainImages = `Training images must be a whole number from 10 to ${images.train.toLocaleString('en')} (what ${name} holds besides validation).`
  if (!whole(form.validationImages, 10, images.validation)) p.validationImages = `Validation images must be a whole number from 10 to ${images.validation.toLocaleString('en')}; they train the architecture parameters.`
  if (!whole(form.testImages, 10, images.test)) p.testImages = `Test images must be a whole number from 10 to ${images.test.toLocaleString('en')}.`
  if (form.int8 && !whole(form.int8EvalImages, 0, Math.min(10_000, form.testImages))) p.int8EvalImages = `Images for the int8 accuracy must be a whole number from 0 to the ${Math.min(10_000, form.testImages).toLocaleString('en')} test images.`
  if (!whole(form.benchmarkRuns, 1, 1000)) p.benchmarkRuns = 'Timed runs per candidate must be a whole number from 1 to 1,000.'
  return p
}

/**
 * The search.start request of a valid form (check searchFormProblems first). With a table, the search uses the space
 * the table was measured for (its stem stride and width): a profile's table holds only that space's keys.
 */
export function buildSearchRequest(serial: string, form: SearchForm, table: LookupTableSummary | null = null): SearchRequestInput {
  const unit = objectiveUnit(form.objective)
  const parsed = parseNumberList(form.targets, TARGETS(unit))
  const targets = typeof parsed === 'string' ? [] : parsed
  const lambdas = form.sweep === 'lambdas' ? parseNumberList(form.lambdas, LAMBDAS) : []
  return {
    serial,
    ...(form.tableId ? { tableId: form.tableId } : {}),
    ...(form.tableId && table?.id === form.tableId ? tableSpaceOptions(table) : {}),
    dataset: form.dataset,
    objective: form.objective,
    ...(form.objective === 'latency' ? { targetsMs: targets } : { targetsMj: targets }),
    lambdas: typeof lambdas === 'string' ? [] : lambdas,
    ...(form.sweep === 'lambdas' ? { lossForm: 'add#linear' as const } : form.lossForm ? { lossForm: form.lossForm } : {}),
    derive: form.derive,
    epochs: { warmup: form.warmupEpochs, search: form.searchEpochs, retrain: form.retrainEpochs },
    retrain: form.retrain,
    subset: { train: form.trainImages, validation: form.validationImages, test: form.testImages },
    ...(form.baselines ? {} : { baselines: [] }),
    precisions: form.int8 ? ['fp32', 'int8'] : ['fp32'],
    int8EvalImages: form.int8 ? form.int8EvalImages : 0,
    benchmark: { runs: form.benchmarkRuns, warmupRuns: Math.min(3, form.benchmarkRuns), minSecs: 1 }
  }
}

/** Lookup tables a search on this device and dataset can use, newest first (MNIST shares Fashion-MNIST's 28×28×1 input). */
export function tablesForSearch(summaries: readonly LookupTableSummary[], serial: string | null, dataset: SearchDataset): LookupTableSummary[] {
  if (!serial) return []
  const choice = spaceChoice(dataset === 'cifar10' ? 'small-cifar10' : 'small-fashion-mnist')
  return summaries.filter((s) => s.deviceSerial === serial && tableMatchesChoice(s, choice)).sort((a, b) => b.createdAt - a.createdAt)
}

/** Op probabilities from a search job's progress counters ('p.b3.k5e6' = block 3, op k5e6), in the counters' order. */
export function probabilitiesFromCounters(counters: Record<string, number> | undefined): Pick<SearchProbabilities, 'ops' | 'values'> | null {
  if (!counters) return null
  const ops: string[][] = []
  const values: number[][] = []
  for (const [key, value] of Object.entries(counters)) {
    const m = /^p\.b(\d+)\.(.+)$/.exec(key)
    if (!m) continue
    const b = Number(m[1]) - 1
    while (ops.length <= b) {
      ops.push([])
      values.push([])
    }
    ops[b].push(m[2])
    values[b].push(value)
  }
  return ops.length > 0 && ops.every((row) => row.length > 0) ? { ops, values } : null
}

/** The op each block would keep: the most likely one. */
export function likeliestOps(p: Pick<SearchProbabilities, 'ops' | 'values'>): string[] {
  return p.ops.map((row, b) => row[p.values[b].reduce((best, v, j, all) => (v > all[best] ? j : best), 0)])
}

export const useSearchStore = defineStore('search', () => {
  const lab = useLabStore()
  const devices = useDevicesStore()
  const jobs = useJobsStore()
  const tables = useTablesStore()

  const form = reactive<SearchForm>({ ...DEFAULT_SEARCH_FORM })
  const starting = ref(false)
  const startError = ref<string | null>(null)
  const runs = ref<RunSummary[]>([])
  const runsLoaded = ref(false)
  const runId = ref<string | null>(null)
  const history = ref<SearchHistory | null>(null)
  const candidates = ref<CandidateInfo[]>([])
  const loadError = ref<string | null>(null)

  const problems = computed(() => searchFormProblems(form))
  const hasProblems = computed(() => Object.keys(problems.value).length > 0)
  const tableChoices = computed(() => tablesForSearch(tables.summaries, devices.selectedSerial, form.dataset))
  const job = computed<JobInfo | null>(() => {
    const id = history.value?.jobId
    return id ? (jobs.byId[id] ?? null) : null
  })
  const running = computed(() => !!job.value && !isFinishedJobState(job.value.state))
  /** Newest probabilities: the job's live counters while a search phase runs, else the recorded ones. */
  const probabilities = computed<Pick<SearchProbabilities, 'ops' | 'values'> | null>(() => (running.value ? probabilitiesFromCounters(job.value?.progress?.counters) : null) ?? history.value?.probabilities ?? null)

  const blockedReason = computed<string | null>(() => {
    if (!lab.isOpen) return 'The page is not connected to the lab host.'
    const device = devices.selected
    if (!device) return devices.list.length === 0 ? 'No phone is known yet: connect one or start a virtual phone on the Devices page.' : 'Choose a device first.'
    const notReady = deviceNotReadyReason(device)
    if (notReady) return notReady
    if (hasProblems.value) return 'Fix the settings marked below first.'
    return null
  })

  // A phone rather than this computer, when one is ready (the point of the lab is the phone's own latency).
  watch(
    () => devices.list,
    (list) => {
      if (devices.selectedSerial && devices.bySerial[devices.selectedSerial]) return
      const ready = list.filter((d) => d.state === 'device')
      devices.select((ready.find((d) => d.kind !== 'host') ?? ready[0] ?? null)?.serial ?? null)
    },
    { immediate: true }
  )
  // The newest table of the device and input, unless the person chose another one of them (or none).
  let tableChosenByPerson = false
  watch(
    [tableChoices, () => devices.selectedSerial, () => form.dataset],
    ([choices], [, oldSerial, oldDataset]) => {
      if (devices.selectedSerial !== oldSerial || form.dataset !== oldDataset) tableChosenByPerson = false
      const valid = form.tableId === '' || choices.some((t) => t.id === form.tableId)
      if (!tableChosenByPerson || !valid) form.tableId = choices[0]?.id ?? ''
    },
    { immediate: true }
  )
  function chooseTable(id: string): void {
    tableChosenByPerson = true
    form.tableId = id
  }

  async function loadRuns(): Promise<void> {
    try {
      runs.value = await lab.call('runs.list', { kind: 'search' })
      runsLoaded.value = true
      if ((!runId.value || !runs.value.some((r) => r.id === runId.value)) && runs.value.length > 0) await show(runs.value[0].id)
    } catch (e) {
      loadError.value = errorSentence(e)
    }
  }

  async function show(id: string): Promise<void> {
    if (runId.value !== id) {
      history.value = null
      candidates.value = []
    }
    runId.value = id
    await refresh()
  }

  async function refresh(): Promise<void> {
    const id = runId.value
    if (!id) return
    try {
      const [h, list] = await Promise.all([lab.call('search.history', { runId: id }), lab.call('candidates.list', { runId: id })])
      if (runId.value !== id) return
      history.value = h
      candidates.value = list
      loadError.value = null
    } catch (e) {
      loadError.value = errorSentence(e)
    }
  }

  // While the job runs, read the history at progress events (at most every 1.5 s), and once more when it ends.
  let lastReadMs = 0
  let pending: ReturnType<typeof setTimeout> | null = null
  watch(
    () => [job.value?.progress?.fraction, job.value?.progress?.stage, job.value?.state],
    () => {
      const j = job.value
      if (!j || pending) return
      const finished = isFinishedJobState(j.state)
      pending = setTimeout(
        () => {
          pending = null
          lastReadMs = Date.now()
          void refresh()
          if (finished) void loadRuns()
        },
        finished ? 0 : Math.max(0, 1500 - (Date.now() - lastReadMs))
      )
    }
  )

  // A search started elsewhere (another window, the command line) joins the list of runs.
  watch(
    () => Object.values(jobs.byId).filter((j) => j.kind === 'search' && j.runId !== null && !runs.value.some((r) => r.id === j.runId)).length,
    (unknown) => {
      if (unknown > 0 && runsLoaded.value) void loadRuns()
    }
  )

  async function start(): Promise<void> {
    const serial = devices.selectedSerial
    if (!serial || blockedReason.value) return
    starting.value = true
    startError.value = null
    try {
      const table = tableChoices.value.find((t) => t.id === form.tableId) ?? null
      const started = await lab.call('search.start', buildSearchRequest(serial, form, table))
      jobs.track(started)
      if (started.runId) await show(started.runId)
      await loadRuns()
    } catch (e) {
      startError.value = errorSentence(e)
    } finally {
      starting.value = false
    }
  }

  function resetSettings(): void {
    const { tableId, dataset, objective, sweep, targets, lambdas } = form
    Object.assign(form, DEFAULT_SEARCH_FORM, { tableId, dataset, objective, sweep, targets, lambdas })
  }

  return {
    form, starting, startError, runs, runsLoaded, runId, history, candidates, loadError,
    problems, hasProblems, tableChoices, job, running, probabilities, blockedReason,
    chooseTable, loadRuns, show, refresh, start, resetSettings
  }
})

/** One line about a run's settings: dataset, objective and targets, epochs and images. */
export function describeSearchRequest(req: SearchHistory['request'], unit: 'ms' | 'mJ'): string {
  if (!req) return 'Settings from an older lab version.'
  const dataset = DATASET_CHOICES.find((d) => d.value === req.dataset)?.title ?? req.dataset
  const targets = req.objective === 'latency' ? req.targetsMs : req.targetsMj
  const sweep =
    req.lambdas.length > 0
      ? `λ ${req.lambdas.join(', ')}${targets.length > 0 ? ` at ${targets[0]} ${unit}` : ''}`
      : targets.length > 0
        ? `${targets.length === 1 ? 'target' : 'targets'} ${targets.join(', ')} ${unit}`
        : 'three automatic targets'
  const table = req.tableId ? 'profiled table' : 'blocks measured first'
  return `${dataset} · ${req.objective} · ${sweep} · ${table} · epochs ${req.epochs.warmup}/${req.epochs.search}/${req.epochs.retrain} · ${req.subset.train.toLocaleString('en')} training images`
}
