#!/usr/bin/env node
// `npm test`: everything a user needs to trust the lab, in order: typecheck, Electron security scan (no HIGH
// findings), build, unit, integration
// (real adb server + virtual phone), browser end-to-end (Debian's Chromium), Electron end-to-end (skips with a
// reason where the binary is missing). Prints one closing line with the totals.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const results = path.join(root, 'test-results')
fs.mkdirSync(results, { recursive: true })
const bin = (name) => path.join(root, 'node_modules', '.bin', name)
const only = process.argv.slice(2) // e.g. `npm test -- unit e2e`

const steps = [
  { name: 'typecheck', cmd: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'security', cmd: process.execPath, args: [path.join(__dirname, 'security-scan.cjs')] },
  { name: 'build', cmd: bin('electron-vite'), args: ['build'], env: { ELECTRON_MAJOR_VER: '45' } },
  { name: 'unit', cmd: bin('vitest'), args: ['run', '--project', 'unit', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/unit.json'], report: 'unit.json', kind: 'vitest' },
  { name: 'integration', cmd: bin('vitest'), args: ['run', '--project', 'integration', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/integration.json'], report: 'integration.json', kind: 'vitest' },
  { name: 'e2e', cmd: bin('playwright'), args: ['test'], env: { PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/e2e.json' }, report: 'e2e.json', kind: 'playwright' }
]

const totals = { passed: 0, failed: 0, skipped: 0 }
const failedSteps = []
for (const step of steps) {
  if (only.length && !only.includes(step.name)) continue
  if (step.report) fs.rmSync(path.join(results, step.report), { force: true })
  const started = Date.now()
  process.stdout.write(`\n=== ${step.name} ===\n`)
  const r = spawnSync(step.cmd, step.args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...(step.env || {}) } })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const counts = step.report ? readCounts(path.join(results, step.report), step.kind) : null
  if (counts) for (const k of Object.keys(totals)) totals[k] += counts[k]
  const ok = r.status === 0
  process.stdout.write(`=== ${step.name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds} s${counts ? ` (${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped)` : ''} ===\n`)
  if (!ok) {
    failedSteps.push(step.name)
    if (counts && counts.failed === 0) totals.failed += 1 // a step that failed outside its tests still counts
    if (!counts) totals.failed += 1
  }
}

function readCounts(file, kind) {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'))
    if (kind === 'vitest') return { passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests + (j.numTodoTests || 0) }
    const s = j.stats
    return { passed: s.expected + (s.flaky || 0), failed: s.unexpected, skipped: s.skipped }
  } catch {
    return null
  }
}

if (failedSteps.length) process.stdout.write(`\nFailed steps: ${failedSteps.join(', ')}\n`)
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`)
process.exit(failedSteps.length ? 1 : 0)
