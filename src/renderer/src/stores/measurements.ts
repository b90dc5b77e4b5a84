// Measuring a .tflite of one's own: the chosen file, what it holds, the measure job, and its Measurement.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { JobInfo, Measurement, TfliteSummary } from '../../../shared/api'
import { isFinishedJobState } from '../lab/format'
import { deviceNotReadyReason, useDevicesStore } from './devices'
import { useJobsStore } from './jobs'
import { errorSentence, useLabStore } from './lab'
import { benchmarkSettingsOf, useProfileStore } from './profile'

/** A file the person chose, as the store needs it (the view reads the bytes; the store stays free of DOM types). */
export interface ModelFile {
  name: string
  size: number
  readBase64(): Promise<string>
}

export interface ChosenModel {
  name: string
  bytes: number
  base64: string
}

/** The largest file the page sends; the lab's door takes up to ~500 MB of base64, a browser tab much less comfortably. */
export const MAX_MODEL_BYTES = 200 * 1024 * 1024

/** Why a chosen file cannot be measured, or null. */
export function modelFileProblem(name: string, bytes: number): string | null {
  if (!/\.tflite$/i.test(name)) return `${name} is not a .tflite file. Choose a TensorFlow Lite model (a file ending in .tflite).`
  if (bytes < 8) return `${name} is empty or too short to be a TFLite model.`
  if (bytes > MAX_MODEL_BYTES) return `${name} is larger than ${MAX_MODEL_BYTES / 1024 / 1024} MB; measure it from the command line with run-model instead.`
  return null
}

/** The measurement a finished measure job carries, or null. */
export function measurementOfJob(job: JobInfo | null): Measurement | null {
  if (!job || job.state !== 'succeeded') return null
  const result = job.result as { measurement?: Measurement } | null
  return result && typeof result === 'object' && result.measurement && typeof result.measurement === 'object' ? result.measurement : null
}

export const useMeasurementsStore = defineStore('measurements', () => {
  const lab = useLabStore()
  const devices = useDevicesStore()
  const jobs = useJobsStore()
  const profile = useProfileStore()

  const model = ref<ChosenModel | null>(null)
  const reading = ref(false)
  const fileError = ref<string | null>(null)
  const summary = ref<TfliteSummary | null>(null)
  const inspecting = ref(false)
  const inspectError = ref<string | null>(null)
  const jobId = ref<string | null>(null)
  const starting = ref(false)
  const startError = ref<string | null>(null)

  const job = computed(() => (jobId.value ? (jobs.byId[jobId.value] ?? null) : null))
  const running = computed(() => !!job.value && !isFinishedJobState(job.value.state))
  const measurement = computed(() => measurementOfJob(job.value))

  const blockedReason = computed<string | null>(() => {
    if (!lab.isOpen) return 'The page is not connected to the lab host.'
    if (!model.value) return 'Choose a .tflite file first.'
    const device = devices.selected
    if (!device) return 'Choose a device first.'
    const notReady = deviceNotReadyReason(device)
    if (notReady) return notReady
    if (running.value) return 'This model is being measured; the result appears below.'
    if (profile.problems.runs || profile.problems.threads || profile.problems.warmupRuns || profile.problems.cpuMaskHex) return 'Fix the settings marked above first.'
    return null
  })

  async function choose(file: ModelFile): Promise<void> {
    fileError.value = null
    inspectError.value = null
    const problem = modelFileProblem(file.name, file.size)
    if (problem) {
      fileError.value = problem
      return
    }
    reading.value = true
    try {
      const base64 = await file.readBase64()
      model.value = { name: file.name, bytes: file.size, base64 }
      summary.value = null
      jobId.value = null
      startError.value = null
    } catch (e) {
      fileError.value = errorSentence(e)
      return
    } finally {
      reading.value = false
    }
    await inspect()
  }

  async function inspect(): Promise<void> {
    const chosen = model.value
    if (!chosen) return
    inspecting.value = true
    inspectError.value = null
    try {
      const s = await lab.call('tflite.inspect', { base64: chosen.base64 })
      if (model.value === chosen) summary.value = s
    } catch (e) {
      if (model.value === chosen) inspectError.value = errorSentence(e)
    } finally {
      inspecting.value = false
    }
  }

  async function start(): Promise<void> {
    const chosen = model.value
    const serial = devices.selectedSerial
    if (!chosen || !serial || blockedReason.value) return
    starting.value = true
    startError.value = null
    try {
      const started = await lab.call('measure.start', {
        serial,
        modelBase64: chosen.base64,
        modelName: chosen.name,
        settings: benchmarkSettingsOf(profile.form, { profileOps: true })
      })
      jobs.track(started)
      jobId.value = started.id
    } catch (e) {
      startError.value = errorSentence(e)
    } finally {
      starting.value = false
    }
  }

  function clear(): void {
    model.value = null
    summary.value = null
    jobId.value = null
    fileError.value = null
    inspectError.value = null
    startError.value = null
  }

  return { model, reading, fileError, summary, inspecting, inspectError, jobId, starting, startError, job, running, measurement, blockedReason, choose, inspect, start, clear }
})
