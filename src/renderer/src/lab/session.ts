// Wires one lab connection to the stores: events fan out, and every (re)connection reloads the lists.
import type { LabConnection } from './client'
import { useDevicesStore } from '../stores/devices'
import { useJobsStore } from '../stores/jobs'
import { useLabStore } from '../stores/lab'
import { useRunsStore } from '../stores/runs'
import { useTablesStore } from '../stores/tables'

export function startLabSession(connection: LabConnection): void {
  const lab = useLabStore()
  const devices = useDevicesStore()
  const jobs = useJobsStore()
  const runs = useRunsStore()
  const tables = useTablesStore()

  lab.attach(connection)
  connection.onEvent((event) => {
    devices.applyEvent(event)
    jobs.applyEvent(event)
    runs.applyEvent(event)
    tables.applyEvent(event)
  })

  // Events missed while disconnected are recovered by reading the lists again.
  const reloadAll = () => Promise.all([lab.refreshInfo(), devices.refresh(), devices.refreshStatus(), jobs.refresh(), runs.refresh(), tables.refresh()])
  connection.onStatus((status) => {
    if (status.state === 'open') void reloadAll()
  })
  if (connection.status().state === 'open') void reloadAll()
}
