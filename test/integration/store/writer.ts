// Child process for kill.test.ts: inserts runs through the real Store in a loop, one transaction each,
// printing the number committed after each commit returns. Usage: node --import tsx writer.ts <dataDir>
import { openStore } from '../../../src/main/store'

const store = openStore(process.argv[2])
const padding = 'x'.repeat(3000) // rows bigger than a page, so WAL checkpoints happen during the run
for (let n = 1; ; n++) {
  store.insertRun({ id: `row-${n}`, kind: 'demo', name: `row ${n}`, settings: { n, padding } })
  // Writes to a pipe are synchronous on Linux: when the parent reads n, row n was committed.
  process.stdout.write(`${n}\n`)
}
