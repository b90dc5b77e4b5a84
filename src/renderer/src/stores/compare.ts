// The Compare view's state: chosen runs, objective and axes, and the fronts the lab computed for them.
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { CompareFronts, CompareObjective, CompareXAxis } from '../../../shared/api'
import type { ThirdEncoding, ThirdFigure } from '../components/compare/fronts-option'
import { errorSentence, useLabStore } from './lab'

/** Runs that can have a front: searches and quantizations (they have candidates). */
export const COMPARABLE_KINDS = ['search', 'quantize'] as const

/** Every pair of chosen runs, named, with the attainment figures the lab computed. */
export function namedPairs(fronts: CompareFronts | null): { a: string; b: string; addedByA: number; addedByB: number; coverageAB: number; coverageBA: number }[] {
  if (!fronts) return []
  const names = new Map(fronts.runs.map((r) => [r.runId, r.name]))
  return fronts.attainment.map((p) => ({ a: names.get(p.runA) ?? p.runA, b: names.get(p.runB) ?? p.runB, addedByA: p.addedByA, addedByB: p.addedByB, coverageAB: p.coverageAB, coverageBA: p.coverageBA }))
}

/** The chosen run ids, kept in the address (#/compare?runs=a,b) so a comparison can be bookmarked. */
export function parseRunIds(query: unknown): string[] {
  const text = Array.isArray(query) ? query.join(',') : typeof query === 'string' ? query : ''
  return [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))]
}

export const useCompareStore = defineStore('compare', () => {
  const lab = useLabStore()
  const runIds = ref<string[]>([])
  const objective = ref<CompareObjective>('latency')
  const xAxis = ref<CompareXAxis>('measured')
  const logX = ref(false)
  const third = ref<ThirdFigure>('size')
  const encoding = ref<ThirdEncoding>('colour')
  const fronts = ref<CompareFronts | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let generation = 0

  const pairs = computed(() => namedPairs(fronts.value))
  const pointCount = computed(() => fronts.value?.runs.reduce((s, r) => s + r.points.length, 0) ?? 0)

  async function load(): Promise<void> {
    const ids = runIds.value
    const mine = ++generation
    if (ids.length === 0) {
      fronts.value = null
      error.value = null
      return
    }
    loading.value = true
    try {
      const result = await lab.call('compare.fronts', { runIds: ids, objective: objective.value, xAxis: xAxis.value })
      if (mine !== generation) return
      fronts.value = result
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = errorSentence(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  function toggle(id: string): void {
    runIds.value = runIds.value.includes(id) ? runIds.value.filter((x) => x !== id) : [...runIds.value, id]
  }

  async function report(): Promise<{ fileName: string; content: string } | null> {
    try {
      return await lab.call('compare.report', { runIds: runIds.value, objective: objective.value, xAxis: xAxis.value })
    } catch (e) {
      error.value = errorSentence(e)
      return null
    }
  }

  watch([runIds, objective, xAxis], () => void load())

  return { runIds, objective, xAxis, logX, third, encoding, fronts, loading, error, pairs, pointCount, load, toggle, report }
})
