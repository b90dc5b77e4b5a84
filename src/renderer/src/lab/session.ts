// Wires one lab connection to the stores: events fan out, and every (re)connection reloads the lists.
import type { LabConnection } from './client'
import { useDevicesStore } from '../stores/devices'
import { useJobsStore } from '../stores/jobs'
import { useLabStore } from '../stores/lab'
import { useRunsStore } from '../stores/runs'

export function startLabSession(connection: LabConnection): void {
  const lab = useLabStore()
  const devices = useDevicesStore()
  const jobs = useJobsStore()
  const runs = useRunsStore()

  lab.attach(connection)
  connection.onEvent((event) => {
    devices.applyEvent(event)
    jobs.applyEvent(event)
    runs.applyEvent(event)
  })

  // Events missed while disconnected are recovered by reading the lists again.
  const reloadAll = () => Promise.all([lab.refreshInfo(), devices.refresh(), jobs.refresh(), runs.refresh()])
  connection.onStatus((status) => {
    if (status.state === 'open') void reloadAll()
  })
  if (connection.status().state === 'open') void reloadAll()
}
