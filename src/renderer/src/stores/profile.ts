// The Profile view's state: which device and space, how to measure, the profile job in flight, and the table to show.
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import type { BenchmarkSettingsInput, JobInfo, ProfileMethod, RequestOf } from '../../../shared/api'
import { isFinishedJobState } from '../lab/format'
import { spaceChoice, type SpaceChoiceId } from '../lab/lut'
import { deviceNotReadyReason, useDevicesStore } from './devices'
import { useJobsStore } from './jobs'
import { errorSentence, useLabStore } from './lab'
import { useTablesStore } from './tables'

/** What the settings disclosure edits; shared by Profile and by measuring a model of one's own. */
export interface MeasureForm {
  threads: number
  runs: number
  warmupRuns: number
  /** Hex taskset mask, '' for no pinning. */
  cpuMaskHex: string
  coolDownS: number
  energy: boolean
  checkNetworks: number
  /** Profile only: interleaved passes, median per key (see ProfileRequest.rounds). */
  rounds: number
}

export const DEFAULT_MEASURE_FORM: MeasureForm = { threads: 1, runs: 30, warmupRuns: 5, cpuMaskHex: '', coolDownS: 0, energy: true, checkNetworks: 30, rounds: 3 }

type FormProblems = Partial<Record<keyof MeasureForm, string>>

function wholeIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max
}

/** Sentences for the fields that the lab would refuse, keyed by field; empty when all is fine. */
export function measureFormProblems(form: MeasureForm): FormProblems {
  const p: FormProblems = {}
  if (!wholeIn(form.threads, 1, 64)) p.threads = 'Threads must be a whole number from 1 to 64.'
  if (!wholeIn(form.runs, 1, 100_000)) p.runs = 'Runs must be a whole number from 1 to 100,000.'
  if (!wholeIn(form.warmupRuns, 0, 10_000)) p.warmupRuns = 'Warm-up runs must be a whole number from 0 to 10,000.'
  if (form.cpuMaskHex.trim() !== '' && !/^[0-9a-fA-F]{1,16}$/.test(form.cpuMaskHex.trim())) p.cpuMaskHex = 'The CPU mask is hex, e.g. f0 for cores 4–7; leave it empty to use any core.'
  if (!(Number.isFinite(form.coolDownS) && form.coolDownS >= 0 && form.coolDownS <= 600)) p.coolDownS = 'Cool-down must be between 0 and 600 seconds.'
  if (!wholeIn(form.checkNetworks, 0, 1000)) p.checkNetworks = 'Check networks must be a whole number from 0 to 1,000.'
  if (!wholeIn(form.rounds, 1, 20)) p.rounds = 'Rounds must be a whole number from 1 to 20.'
  return p
}

export function benchmarkSettingsOf(form: MeasureForm, extra: Partial<BenchmarkSettingsInput> = {}): BenchmarkSettingsInput {
  const mask = form.cpuMaskHex.trim()
  return { threads: form.threads, runs: form.runs, warmupRuns: form.warmupRuns, cpuMaskHex: mask === '' ? null : mask.toLowerCase(), energy: form.energy, ...extra }
}

export function buildProfileRequest(serial: string, spaceId: SpaceChoiceId, method: ProfileMethod, form: MeasureForm): RequestOf<'profile.start'> {
  const choice = spaceChoice(spaceId)
  return {
    serial,
    space: choice.space,
    ...(choice.input ? { input: choice.input } : {}),
    method,
    settings: benchmarkSettingsOf(form),
    coolDownMs: Math.round(form.coolDownS * 1000),
    checkNetworks: form.checkNetworks,
    rounds: form.rounds
  }
}

/** The profile job to show for a device: one in flight, else the newest this page knows. */
export function profileJobFor(jobs: readonly JobInfo[], serial: string): JobInfo | null {
  const mine = jobs.filter((j) => j.kind === 'profile' && j.queue === `device:${serial}`).sort((a, b) => b.createdAt - a.createdAt)
  return mine.find((j) => !isFinishedJobState(j.state)) ?? mine[0] ?? null
}

export const useProfileStore = defineStore('profile', () => {
  const lab = useLabStore()
  const devices = useDevicesStore()
  const jobs = useJobsStore()
  const tables = useTablesStore()

  const spaceId = ref<SpaceChoiceId>('small-fashion-mnist')
  const method = ref<ProfileMethod>('packed')
  const form = reactive<MeasureForm>({ ...DEFAULT_MEASURE_FORM })
  const starting = ref(false)
  const startError = ref<string | null>(null)

  const choice = computed(() => spaceChoice(spaceId.value))
  const problems = computed(() => measureFormProblems(form))
  const hasProblems = computed(() => Object.keys(problems.value).length > 0)

  // Jobs in the tray: every unfinished one, and finished ones this page saw run until they are dismissed there.
  const job = computed(() => (devices.selectedSerial ? profileJobFor(jobs.trayJobs, devices.selectedSerial) : null))
  const running = computed(() => !!job.value && !isFinishedJobState(job.value.state))

  /** Null when Profile may be clicked; otherwise the sentence shown next to the disabled button. */
  const blockedReason = computed<string | null>(() => {
    if (!lab.isOpen) return 'The page is not connected to the lab host.'
    const device = devices.selected
    if (!device) return devices.list.length === 0 ? 'No device is known yet.' : 'Choose a device first.'
    const notReady = deviceNotReadyReason(device)
    if (notReady) return notReady
    if (running.value) return `A profile is already running on ${device.label}; its progress is shown here.`
    if (hasProblems.value) return 'Fix the settings marked below first.'
    return null
  })

  const tableSummary = computed(() => tables.latestFor(devices.selectedSerial, choice.value))
  const table = computed(() => (tableSummary.value ? (tables.byId[tableSummary.value.id] ?? null) : null))
  watch(tableSummary, (s) => {
    if (s) void tables.read(s.id)
  }, { immediate: true })

  // Start with a device that can be measured: the first ready phone, else this computer.
  watch(
    () => devices.list,
    (list) => {
      if (devices.selectedSerial && devices.bySerial[devices.selectedSerial]) return
      const ready = list.filter((d) => d.state === 'device')
      devices.select((ready.find((d) => d.kind !== 'host') ?? ready[0] ?? null)?.serial ?? null)
    },
    { immediate: true }
  )

  async function start(): Promise<void> {
    const serial = devices.selectedSerial
    if (!serial || blockedReason.value) return
    starting.value = true
    startError.value = null
    try {
      jobs.track(await lab.call('profile.start', buildProfileRequest(serial, spaceId.value, method.value, form)))
    } catch (e) {
      startError.value = errorSentence(e)
    } finally {
      starting.value = false
    }
  }

  function resetSettings(): void {
    Object.assign(form, DEFAULT_MEASURE_FORM)
  }

  return { spaceId, method, form, starting, startError, choice, problems, hasProblems, job, running, blockedReason, tableSummary, table, start, resetSettings }
})
