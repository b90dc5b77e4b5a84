// Long work the lab runs (profiling, search, quantization, demo): kept live by job.* events, shown in the job tray.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { DemoJobParams, JobInfo, LabEvent } from '../../../shared/api'
import { isFinishedJobState } from '../lab/format'
import { errorSentence, useLabStore } from './lab'

export const useJobsStore = defineStore('jobs', () => {
  const lab = useLabStore()
  const byId = ref<Record<string, JobInfo>>({})
  /** Jobs this page saw unfinished: they stay in the tray after they finish until dismissed. */
  const seenUnfinished = ref<Record<string, true>>({})
  const dismissed = ref<Record<string, true>>({})
  /** Job ids with a cancel or resume request in flight. */
  const busy = ref<Record<string, true>>({})
  /** Last failed action per job id, as a sentence. */
  const actionErrors = ref<Record<string, string>>({})
  const startingDemo = ref(false)
  const startError = ref<string | null>(null)
  const loadError = ref<string | null>(null)

  const trayJobs = computed(() =>
    Object.values(byId.value)
      .filter((j) => !dismissed.value[j.id] && (!isFinishedJobState(j.state) || seenUnfinished.value[j.id]))
      .sort((a, b) => b.createdAt - a.createdAt)
  )
  const activeCount = computed(() => trayJobs.value.filter((j) => !isFinishedJobState(j.state)).length)
  const finishedInTrayCount = computed(() => trayJobs.value.length - activeCount.value)

  function upsert(job: JobInfo): void {
    byId.value = { ...byId.value, [job.id]: job }
    if (!isFinishedJobState(job.state)) seenUnfinished.value = { ...seenUnfinished.value, [job.id]: true }
  }

  async function refresh(): Promise<void> {
    try {
      const jobs = await lab.call('jobs.list', { includeFinished: true })
      byId.value = Object.fromEntries(jobs.map((j) => [j.id, j]))
      const next = { ...seenUnfinished.value }
      for (const j of jobs) if (!isFinishedJobState(j.state)) next[j.id] = true
      seenUnfinished.value = next
      loadError.value = null
    } catch (e) {
      loadError.value = errorSentence(e)
    }
  }

  function applyEvent(event: LabEvent): void {
    if (event.type === 'job.added' || event.type === 'job.progress' || event.type === 'job.finished') {
      if (event.type === 'job.added') seenUnfinished.value = { ...seenUnfinished.value, [event.job.id]: true }
      upsert(event.job)
    }
  }

  async function startDemo(params: Partial<DemoJobParams> = { steps: 30, stepMs: 300 }): Promise<void> {
    startingDemo.value = true
    startError.value = null
    try {
      const job = await lab.call('jobs.startDemo', params)
      seenUnfinished.value = { ...seenUnfinished.value, [job.id]: true }
      upsert(job)
    } catch (e) {
      startError.value = errorSentence(e)
    } finally {
      startingDemo.value = false
    }
  }

  async function act(jobId: string, method: 'jobs.cancel' | 'jobs.resume'): Promise<void> {
    busy.value = { ...busy.value, [jobId]: true }
    const { [jobId]: _old, ...otherErrors } = actionErrors.value
    actionErrors.value = otherErrors
    try {
      upsert(await lab.call(method, { jobId }))
    } catch (e) {
      actionErrors.value = { ...actionErrors.value, [jobId]: errorSentence(e) }
    } finally {
      const { [jobId]: _done, ...rest } = busy.value
      busy.value = rest
    }
  }

  const cancel = (jobId: string) => act(jobId, 'jobs.cancel')
  const resume = (jobId: string) => act(jobId, 'jobs.resume')

  /** A job this page just started: shown in the tray at once, before its job.added event arrives. */
  function track(job: JobInfo): void {
    seenUnfinished.value = { ...seenUnfinished.value, [job.id]: true }
    upsert(job)
  }

  function dismiss(jobId: string): void {
    dismissed.value = { ...dismissed.value, [jobId]: true }
  }

  function dismissFinished(): void {
    const next = { ...dismissed.value }
    for (const j of trayJobs.value) if (isFinishedJobState(j.state)) next[j.id] = true
    dismissed.value = next
  }

  return {
    byId,
    trayJobs,
    activeCount,
    finishedInTrayCount,
    busy,
    actionErrors,
    startingDemo,
    startError,
    loadError,
    refresh,
    applyEvent,
    startDemo,
    cancel,
    resume,
    track,
    dismiss,
    dismissFinished
  }
})

export function canCancel(job: JobInfo): boolean {
  return job.state === 'queued' || job.state === 'running'
}

export function canResume(job: JobInfo): boolean {
  return job.state === 'interrupted'
}
