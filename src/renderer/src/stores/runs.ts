// Finished and ongoing runs kept by the lab's store (profiles, searches, quantizations, measurements): the list,
// its filters and sort, rename, tags, delete with undo, export and import.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ExportedFile, ImportedRun, JobState, LabEvent, RunExportFormat, RunKind, RunSummary } from '../../../shared/api'
import { errorSentence, useLabStore } from './lab'

export interface RunFilter {
  kind: RunKind | ''
  /** A device serial, 'host' for this computer, or '' for any. */
  device: string
  status: JobState | ''
  text: string
}
export type RunSortKey = 'createdAt' | 'name' | 'kind' | 'device' | 'status' | 'duration'
export interface RunSort {
  key: RunSortKey
  dir: 'asc' | 'desc'
}

export const EMPTY_FILTER: RunFilter = { kind: '', device: '', status: '', text: '' }

/** Wall time of a finished run; null while it runs. */
export function runDurationMs(run: RunSummary): number | null {
  return run.finishedAt === null ? null : Math.max(0, run.finishedAt - run.createdAt)
}

/** The runs that pass the filter, in the chosen order (ties: newest first). Text matches name, tags, id and device. */
export function filterAndSortRuns(list: readonly RunSummary[], filter: RunFilter, sort: RunSort, deviceLabel: (serial: string | null) => string): RunSummary[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean)
  const kept = list.filter((r) => {
    if (filter.kind && r.kind !== filter.kind) return false
    if (filter.status && r.status !== filter.status) return false
    if (filter.device && (r.deviceSerial ?? 'host') !== filter.device) return false
    if (words.length) {
      const hay = [r.name, r.id, r.kind, deviceLabel(r.deviceSerial), r.deviceSerial ?? '', ...r.tags].join(' ').toLowerCase()
      if (!words.every((w) => hay.includes(w))) return false
    }
    return true
  })
  const sign = sort.dir === 'asc' ? 1 : -1
  const key = (r: RunSummary): string | number => {
    switch (sort.key) {
      case 'name':
        return r.name.toLowerCase()
      case 'kind':
        return r.kind
      case 'device':
        return deviceLabel(r.deviceSerial).toLowerCase()
      case 'status':
        return r.status
      case 'duration':
        return runDurationMs(r) ?? Number.POSITIVE_INFINITY
      default:
        return r.createdAt
    }
  }
  return kept.sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    const c = ka < kb ? -1 : ka > kb ? 1 : 0
    return c !== 0 ? sign * c : b.createdAt - a.createdAt
  })
}

/** "a, b,  c" → ['a', 'b', 'c'] (trimmed, no blanks, no repeats). */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))]
}

export const useRunsStore = defineStore('runs', () => {
  const lab = useLabStore()
  const list = ref<RunSummary[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)
  /** Run ids chosen for the Compare view. */
  const comparedIds = ref<string[]>([])
  const filter = ref<RunFilter>({ ...EMPTY_FILTER })
  const sort = ref<RunSort>({ key: 'createdAt', dir: 'desc' })
  /** The run just deleted, offered for undo. */
  const lastDeleted = ref<RunSummary | null>(null)
  const actionError = ref<string | null>(null)
  const busy = ref<Record<string, true>>({})
  /** Names of every device the lab has seen, so runs on unplugged phones still show a name. */
  const deviceLabels = ref<Record<string, string>>({})

  const newestFirst = computed(() => [...list.value].sort((a, b) => b.createdAt - a.createdAt))
  const finished = computed(() => newestFirst.value.filter((r) => r.status === 'succeeded'))
  const compared = computed(() => comparedIds.value.map((id) => list.value.find((r) => r.id === id)).filter((r): r is RunSummary => !!r))
  const figureKeys = computed(() => [...new Set(compared.value.flatMap((r) => Object.keys(r.figures)))].sort())
  const byId = computed(() => Object.fromEntries(list.value.map((r) => [r.id, r])))

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      const [runs, labels] = await Promise.all([lab.call('runs.list', {}), lab.call('runs.deviceLabels', {}).catch(() => deviceLabels.value)])
      list.value = runs
      deviceLabels.value = labels
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
    if ((event.type === 'job.finished' || event.type === 'job.added') && event.job.runId) void refresh()
  }

  function toggleCompared(runId: string): void {
    comparedIds.value = comparedIds.value.includes(runId) ? comparedIds.value.filter((id) => id !== runId) : [...comparedIds.value, runId]
  }

  function replace(run: RunSummary): void {
    const i = list.value.findIndex((r) => r.id === run.id)
    list.value = i >= 0 ? list.value.map((r) => (r.id === run.id ? run : r)) : [...list.value, run]
  }

  async function act<T>(id: string, work: () => Promise<T>): Promise<T | null> {
    busy.value = { ...busy.value, [id]: true }
    try {
      const result = await work()
      actionError.value = null
      return result
    } catch (e) {
      actionError.value = errorSentence(e)
      return null
    } finally {
      const next = { ...busy.value }
      delete next[id]
      busy.value = next
    }
  }

  async function update(id: string, patch: { name?: string; tags?: string[] }): Promise<boolean> {
    const run = await act(id, () => lab.call('runs.update', { id, ...patch }))
    if (run) replace(run)
    return run !== null
  }

  async function remove(id: string): Promise<void> {
    const run = await act(id, () => lab.call('runs.delete', { id }))
    if (!run) return
    list.value = list.value.filter((r) => r.id !== id)
    comparedIds.value = comparedIds.value.filter((x) => x !== id)
    lastDeleted.value = run
  }

  async function undoDelete(): Promise<void> {
    const run = lastDeleted.value
    if (!run) return
    const restored = await act(run.id, () => lab.call('runs.restore', { id: run.id }))
    if (restored) {
      replace(restored)
      lastDeleted.value = null
    }
  }

  async function exportRun(id: string, format: RunExportFormat): Promise<ExportedFile | null> {
    return act(id, () => lab.call('runs.export', { id, format }))
  }

  async function importBundle(json: string): Promise<ImportedRun | null> {
    const result = await act('import', () => lab.call('runs.import', { json }))
    if (result) replace(result.run)
    return result
  }

  const visible = (deviceLabel: (serial: string | null) => string) => filterAndSortRuns(list.value, filter.value, sort.value, deviceLabel)

  function sortBy(key: RunSortKey): void {
    sort.value = sort.value.key === key ? { key, dir: sort.value.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: key === 'createdAt' || key === 'duration' ? 'desc' : 'asc' }
  }

  return {
    list,
    loaded,
    loading,
    loadError,
    comparedIds,
    filter,
    sort,
    lastDeleted,
    actionError,
    busy,
    deviceLabels,
    newestFirst,
    finished,
    compared,
    figureKeys,
    byId,
    refresh,
    applyEvent,
    toggleCompared,
    update,
    remove,
    undoDelete,
    exportRun,
    importBundle,
    visible,
    sortBy
  }
})
