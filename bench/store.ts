// Store write cost: single-row commits per second with synchronous=FULL (what the store uses) vs NORMAL,
// and the cost of one job checkpoint (checkpoint + job row in one transaction). Run: npx tsx bench/store.ts
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { openStore } from '../src/main/store'

const ROWS = 2000

function commitsPerSecond(synchronous: 'FULL' | 'NORMAL'): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'))
  const store = openStore(dir)
  store.close()
  const db = new Database(path.join(dir, 'lab.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  const insert = db.prepare("INSERT INTO runs (id, kind, name, status, settings, figures, tags, created_at) VALUES (?, 'demo', 'bench', 'queued', '{}', '{}', '[]', 0)")
  const t0 = performance.now()
  for (let i = 0; i < ROWS; i++) insert.run(`r${i}`)
  const seconds = (performance.now() - t0) / 1000
  db.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return ROWS / seconds
}

function checkpointMs(): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'))
  const store = openStore(dir)
  const job = { id: 'job-1', kind: 'demo' as const, title: 'bench', queue: 'cpu', state: 'running' as const, params: {}, progress: null, createdAt: 0, startedAt: 0, finishedAt: null, error: null, result: null, runId: null }
  store.insertJob(job)
  const t0 = performance.now()
  for (let i = 0; i < ROWS; i++) {
    store.transaction(() => {
      store.saveCheckpoint(job.id, { stepsDone: i, weights: new Array(64).fill(i) })
      store.updateJob({ ...job, progress: { fraction: i / ROWS, stage: `Step ${i}`, timeLeftMs: null } })
    })
  }
  const ms = (performance.now() - t0) / ROWS
  store.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return ms
}

const full = commitsPerSecond('FULL')
const normal = commitsPerSecond('NORMAL')
console.log(`single-row commits/s  synchronous=FULL: ${full.toFixed(0)}  NORMAL: ${normal.toFixed(0)}  (NORMAL/FULL ${(normal / full).toFixed(2)}x)`)
console.log(`job checkpoint (checkpoint + job row, one transaction, FULL): ${checkpointMs().toFixed(3)} ms each`)
