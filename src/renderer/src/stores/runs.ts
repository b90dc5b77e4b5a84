// Finished and ongoing runs kept by the lab's store (profiles, searches, quantizations, demo runs).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { LabEvent, RunSummary } from '../../../shared/api'
import { errorSentence, useLabStore } from './lab'

export const useRunsStore = defineStore('runs', () => {
  const lab = useLabStore()
  const list = ref<RunSummary[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)
  /** Run ids chosen for the Compare view. */
  const comparedIds = ref<string[]>([])

  const newestFirst = computed(() => [...list.value].sort((a, b) => b.createdAt - a.createdAt))
  const finished = computed(() => newestFirst.value.filter((r) => r.status === 'succeeded'))
  const compared = computed(() => comparedIds.value.map((id) => list.value.find((r) => r.id === id)).filter((r): r is RunSummary => !!r))
  const figureKeys = computed(() => [...new Set(compared.value.flatMap((r) => Object.keys(r.figures)))].sort())

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      list.value = await lab.call('runs.list', {})
      loadError.value = null
      loaded.value = true
    } catch (e) {
      loadError.value = errorSentence(e)
    } finally {
      loading.value = false
    }
  }

  function applyEvent(event: LabEvent): void {
    // A job that ends may have written or closed a run.
    if (event.type === 'job.finished' && event.job.runId) void refresh()
  }

  function toggleCompared(runId: string): void {
    comparedIds.value = comparedIds.value.includes(runId) ? comparedIds.value.filter((id) => id !== runId) : [...comparedIds.value, runId]
  }

  return { list, loaded, loading, loadError, comparedIds, newestFirst, finished, compared, figureKeys, refresh, applyEvent, toggleCompared }
})
