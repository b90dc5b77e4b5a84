// Lookup tables the lab keeps (one per device, space and profile), the one on screen, and YAML export/import.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { LabEvent, LookupTable, LookupTableSummary } from '../../../shared/api'
import { latestTable, type SpaceChoice } from '../lab/lut'
import { errorSentence, useLabStore } from './lab'

export const useTablesStore = defineStore('tables', () => {
  const lab = useLabStore()
  const summaries = ref<LookupTableSummary[]>([])
  const loaded = ref(false)
  const loadError = ref<string | null>(null)
  /** Full tables read so far, by id (a table never changes once written). */
  const byId = ref<Record<string, LookupTable>>({})
  const readingId = ref<string | null>(null)
  const readError = ref<string | null>(null)
  const transferBusy = ref(false)
  const transferError = ref<string | null>(null)
  const transferNote = ref<string | null>(null)

  async function refresh(): Promise<void> {
    try {
      summaries.value = await lab.call('tables.list', {})
      loadError.value = null
      loaded.value = true
    } catch (e) {
      loadError.value = errorSentence(e)
    }
  }

  function latestFor(serial: string | null, choice: SpaceChoice): LookupTableSummary | null {
    return serial ? latestTable(summaries.value, serial, choice) : null
  }

  async function read(id: string): Promise<void> {
    if (byId.value[id] || readingId.value === id) return
    readingId.value = id
    readError.value = null
    try {
      const table = await lab.call('tables.get', { id })
      byId.value = { ...byId.value, [id]: table }
    } catch (e) {
      readError.value = errorSentence(e)
    } finally {
      if (readingId.value === id) readingId.value = null
    }
  }

  function applyEvent(event: LabEvent): void {
    // A finished profile has written a table; an imported one arrives through importYaml.
    if (event.type === 'job.finished' && event.job.kind === 'profile' && event.job.state === 'succeeded') void refresh()
  }

  /** The table as YAML text and the file name the lab suggests, or null when it failed (see transferError). */
  async function exportYaml(id: string): Promise<{ yaml: string; fileName: string } | null> {
    transferBusy.value = true
    transferError.value = null
    transferNote.value = null
    try {
      return await lab.call('tables.export', { id })
    } catch (e) {
      transferError.value = errorSentence(e)
      return null
    } finally {
      transferBusy.value = false
    }
  }

  async function importYaml(yaml: string, serial: string, space: 'small' | 'mobile', name: string | undefined): Promise<LookupTableSummary | null> {
    transferBusy.value = true
    transferError.value = null
    transferNote.value = null
    try {
      const summary = await lab.call('tables.import', { yaml, serial, space, ...(name ? { name: name.slice(0, 200) } : {}) })
      summaries.value = [...summaries.value.filter((s) => s.id !== summary.id), summary]
      transferNote.value = `Imported ${summary.entries} rows for ${summary.deviceLabel}.`
      return summary
    } catch (e) {
      transferError.value = errorSentence(e)
      return null
    } finally {
      transferBusy.value = false
    }
  }

  return { summaries, loaded, loadError, byId, readingId, readError, transferBusy, transferError, transferNote, refresh, latestFor, read, applyEvent, exportYaml, importYaml }
})
