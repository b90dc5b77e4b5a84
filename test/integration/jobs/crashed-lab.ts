// Child process for manager.test.ts: a lab process that runs one demo job and is then kill -9ed.
// Prints "job <id>" once started and "step <n>" after each checkpointed step. Usage: node --import tsx crashed-lab.ts <dataDir>
import { LabEvents } from '../../../src/main/events'
import { JobManager } from '../../../src/main/jobs/manager'
import { openStore } from '../../../src/main/store'

const store = openStore(process.argv[2])
const events = new LabEvents()
const jobs = new JobManager({ store, events, cpuConcurrency: 1, progressEventIntervalMs: 0 })
events.subscribe((e) => {
  if (e.type === 'job.progress' && e.job.progress?.counters) process.stdout.write(`step ${e.job.progress.counters.stepsDone}\n`)
})
const job = jobs.start({ kind: 'demo', params: { steps: 40, stepMs: 40, queue: 'cpu' }, title: 'Demo that outlives its lab', queue: 'cpu' })
process.stdout.write(`job ${job.id}\n`)
