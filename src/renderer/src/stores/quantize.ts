// The Quantize view's state: which model, device and budget, the HAQ job in flight, and its report (episodes,
// baselines, best policies) read with quantize.episodes while the job runs.
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import type { CandidateInfo, JobInfo, QuantizeReport, QuantizeRequestInput, RunSummary } from '../../../shared/api'
import { downloadFile } from '../lab/files'
import { isFinishedJobState } from '../lab/format'
import { deviceNotReadyReason, useDevicesStore } from './devices'
import { useJobsStore } from './jobs'
import { errorSentence, useLabStore } from './lab'

export type BudgetMetric = 'latency' | 'energy' | 'size'
export type BudgetMode = 'fraction' | 'absolute'

export interface QuantizeForm {
  source: 'small' | 'candidate'
  arch: string
  candidateId: string
  metric: BudgetMetric
  mode: BudgetMode
  /** Percent of the fp32 cost (mode 'fraction') or ms / mJ / KB (mode 'absolute'). */
  value: number
  episodes: number
  costSource: 'table' | 'device'
}

export const DEFAULT_QUANTIZE_FORM: QuantizeForm = {
  source: 'small',
  arch: 'k3e6-k3e3-k5e3-zero-k3e6-k3e3-k5e6',
  candidateId: '',
  metric: 'latency',
  mode: 'fraction',
  value: 80,
  episodes: 16,
  costSource: 'table'
}

export const ABSOLUTE_UNITS: Record<BudgetMetric, string> = { latency: 'ms', energy: 'mJ', size: 'KB' }

/** The budget as the lab reads it: 'latency:0.8', 'latency:6ms', 'energy:2mJ', 'size:200KB'. */
export function budgetText(form: Pick<QuantizeForm, 'metric' | 'mode' | 'value'>): string {
  if (form.mode === 'fraction') return `${form.metric}:${+(form.value / 100).toFixed(4)}`
  return `${form.metric}:${form.value}${ABSOLUTE_UNITS[form.metric]}`
}

export type QuantizeFormProblems = Partial<Record<'arch' | 'candidateId' | 'value' | 'episodes', string>>

export function quantizeFormProblems(form: QuantizeForm): QuantizeFormProblems {
  const p: QuantizeFormProblems = {}
  if (form.source === 'small' && !/^[a-z0-9]+(-[a-z0-9]+){6}$/.test(form.arch.trim())) p.arch = 'Write seven block ops joined by dashes, e.g. k3e3-k3e3-k5e3-zero-k3e6-k3e3-k3e3.'
  if (form.source === 'candidate' && form.candidateId.trim() === '') p.candidateId = 'Choose a trained network from a search run.'
  if (form.mode === 'fraction' && !(form.value > 0 && form.value <= 100)) p.value = 'A share of the fp32 cost is above 0% and at most 100%.'
  if (form.mode === 'absolute' && !(form.value > 0 && Number.isFinite(form.value))) p.value = `The budget is a positive number of ${ABSOLUTE_UNITS[form.metric]}.`
  if (!(Number.isInteger(form.episodes) && form.episodes >= 2 && form.episodes <= 2000)) p.episodes = 'Episodes must be a whole number from 2 to 2,000 (HAQ uses 600).'
  return p
}

export function buildQuantizeRequest(serial: string, form: QuantizeForm): QuantizeRequestInput {
  return {
    serial,
    model: form.source === 'candidate' ? { kind: 'candidate', candidateId: form.candidateId.trim() } : { kind: 'small', arch: form.arch.trim() },
    budget: budgetText(form),
    episodes: form.episodes,
    warmupEpisodes: Math.min(20, Math.max(1, Math.floor(form.episodes / 3))),
    costSource: form.costSource
  }
}

/** A stored network a quantize run can start from (from candidates.list when the lab has it). */
export interface ModelChoice {
  id: string
  name: string
  detail: string
}

export const useQuantizeStore = defineStore('quantize', () => {
  const lab = useLabStore()
  const devices = useDevicesStore()
  const jobs = useJobsStore()

  const form = reactive<QuantizeForm>({ ...DEFAULT_QUANTIZE_FORM })
  const starting = ref(false)
  const startError = ref<string | null>(null)
  const runs = ref<RunSummary[]>([])
  const runId = ref<string | null>(null)
  const report = ref<QuantizeReport | null>(null)
  const reportError = ref<string | null>(null)
  const models = ref<ModelChoice[]>([])
  const modelsNote = ref<string | null>(null)
  const downloadError = ref<string | null>(null)

  const problems = computed(() => quantizeFormProblems(form))
  const hasProblems = computed(() => Object.keys(problems.value).length > 0)
  const job = computed<JobInfo | null>(() => {
    const id = report.value?.jobId
    return id ? (jobs.byId[id] ?? null) : null
  })
  const running = computed(() => !!job.value && !isFinishedJobState(job.value.state))
  const best = computed(() => report.value?.results.find((r) => r.role === 'best') ?? null)
  const latestEpisode = computed(() => report.value?.episodes.at(-1) ?? null)
  /** The per-layer precisions to draw: the best stored policy, else the newest episode. */
  const shownPolicy = computed(() => best.value?.precisions ?? latestEpisode.value?.precisions ?? null)

  const blockedReason = computed<string | null>(() => {
    if (!lab.isOpen) return 'The page is not connected to the lab host.'
    const device = devices.selected
    if (!device) return devices.list.length === 0 ? 'No phone is known yet: connect one or start a virtual phone on the Devices page.' : 'Choose a device first.'
    const notReady = deviceNotReadyReason(device)
    if (notReady) return notReady
    if (running.value) return 'A quantization is running; its curves are shown here.'
    if (hasProblems.value) return 'Fix the settings marked below first.'
    return null
  })

  // Start with a phone that can be measured (quantizing for this computer is possible but rarely the point).
  watch(
    () => devices.list,
    (list) => {
      if (devices.selectedSerial && devices.bySerial[devices.selectedSerial]) return
      const ready = list.filter((d) => d.state === 'device')
      devices.select((ready.find((d) => d.kind !== 'host') ?? ready[0] ?? null)?.serial ?? null)
    },
    { immediate: true }
  )

  async function loadRuns(): Promise<void> {
    try {
      runs.value = await lab.call('runs.list', { kind: 'quantize' })
      if (!runId.value && runs.value.length > 0) await show(runs.value[0].id)
    } catch (e) {
      reportError.value = errorSentence(e)
    }
  }

  async function loadModels(): Promise<void> {
    try {
      const list = await lab.call('candidates.list', {})
      // Float networks only: a search's fp32 export, or the uniform fp32 baseline of an earlier quantize run.
      const isFloat = (c: CandidateInfo): boolean =>
        c.precision === 'fp32' || c.precision === null || (typeof c.precision === 'object' && (c.precision as { role?: string; perLayer?: Record<string, string> }).role === 'baseline' && c.name === 'uniform fp32')
      models.value = list
        .filter(isFloat)
        .map((c) => ({ id: c.id, name: c.name, detail: c.accuracy !== null ? `accuracy ${(c.accuracy <= 1 ? c.accuracy * 100 : c.accuracy).toFixed(1)}%` : 'accuracy not measured' }))
      modelsNote.value = models.value.length === 0 ? 'No trained network is stored yet: run a Search, or use a small-space architecture below.' : null
    } catch {
      models.value = []
      modelsNote.value = 'This lab cannot list stored networks; use a small-space architecture.'
    }
  }

  async function show(id: string): Promise<void> {
    runId.value = id
    await refreshReport()
  }

  async function refreshReport(): Promise<void> {
    const id = runId.value
    if (!id) return
    try {
      const next = await lab.call('quantize.episodes', { runId: id })
      if (runId.value === id) report.value = next
      reportError.value = null
    } catch (e) {
      reportError.value = errorSentence(e)
    }
  }

  // While the job runs, read the report at every progress event (at most every 1.5 s).
  let lastReadMs = 0
  let pending: ReturnType<typeof setTimeout> | null = null
  watch(
    () => [job.value?.progress?.fraction, job.value?.state],
    () => {
      if (!job.value) return
      const wait = Math.max(0, 1500 - (Date.now() - lastReadMs))
      if (pending) return
      pending = setTimeout(() => {
        pending = null
        lastReadMs = Date.now()
        void refreshReport()
      }, isFinishedJobState(job.value.state) ? 0 : wait)
    }
  )

  async function start(): Promise<void> {
    const serial = devices.selectedSerial
    if (!serial || blockedReason.value) return
    starting.value = true
    startError.value = null
    try {
      const started = await lab.call('quantize.start', buildQuantizeRequest(serial, form))
      jobs.track(started)
      if (started.runId) await show(started.runId)
      await loadRuns()
    } catch (e) {
      startError.value = errorSentence(e)
    } finally {
      starting.value = false
    }
  }

  async function downloadTflite(candidateId: string): Promise<void> {
    downloadError.value = null
    try {
      const file = await lab.call('quantize.tflite', { candidateId })
      const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))
      downloadFile(file.fileName, new Blob([bytes], { type: 'application/octet-stream' }))
    } catch (e) {
      downloadError.value = errorSentence(e)
    }
  }

  function resetSettings(): void {
    Object.assign(form, DEFAULT_QUANTIZE_FORM)
  }

  return {
    form, starting, startError, runs, runId, report, reportError, models, modelsNote, downloadError,
    problems, hasProblems, job, running, best, shownPolicy, blockedReason,
    loadRuns, loadModels, show, refreshReport, start, downloadTflite, resetSettings
  }
})
