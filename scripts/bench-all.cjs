#!/usr/bin/env node
// `npm run bench [-- NAME…] [-- --all]`: runs the benchmarks in bench/ one after another; each prints its figures and
// ratios (no pass/fail). Without names it runs the quick ones; --all adds the long ones (a whole search, HAQ, the
// mobile-space profile), which take tens of minutes on 2 cores.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const LONG = new Set(['nas-search', 'quant-search', 'profile', 'train-engine', 'compare-view', 'proxyless-mobile'])
const args = process.argv.slice(2)
const all = args.includes('--all')
const names = args.filter((a) => !a.startsWith('--'))
const available = fs
  .readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort()
const unknown = names.filter((n) => !available.includes(n))
if (unknown.length) {
  console.error(`No benchmark named ${unknown.join(', ')}. Available: ${available.join(', ')}`)
  process.exit(2)
}
const chosen = names.length ? names : available.filter((n) => all || !LONG.has(n))
if (!names.length && !all) console.log(`Quick benchmarks: ${chosen.join(', ')}\n(long ones, with --all or by name: ${[...LONG].filter((n) => available.includes(n)).join(', ')})`)
let failed = 0
for (const name of chosen) {
  console.log(`\n=== bench/${name}.ts ===`)
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', `${name}.ts`)], { cwd: root, stdio: 'inherit' })
  console.log(`=== ${name}: ${r.status === 0 ? 'done' : `exited ${r.status ?? r.signal}`} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`)
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
