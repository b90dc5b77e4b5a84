#!/usr/bin/env node
// `npm run security`: scans the Electron sources with Doyensec's electronegativity and fails on HIGH or worse.
// Calls its runner directly: its CLI reads options through the hoisted commander 9, which no longer stores
// options as properties, so `electronegativity -i src` only prints its usage here.
'use strict'
const path = require('node:path')
const runner = require('@doyensec/electronegativity/dist/runner.js')

const root = path.join(__dirname, '..')
const input = path.join(root, process.argv[2] || 'src')
const electronVersion = require(path.join(root, 'node_modules', 'electron', 'package.json')).version

async function main() {
  const result = await runner(
    {
      input,
      output: undefined,
      isSarif: false,
      customScan: [],
      excludeFromScan: [],
      severitySet: undefined, // lowest: INFORMATIONAL
      confidenceSet: undefined, // lowest: TENTATIVE
      isRelative: true,
      isVerbose: false,
      electronUpgrade: undefined,
      electronVersionOverride: electronVersion,
      parserPlugins: []
    },
    false
  )
  const bySeverity = {}
  for (const issue of result.issues) {
    const name = issue.severity.name
    ;(bySeverity[name] ||= []).push(issue)
  }
  console.log(`electronegativity ${require('@doyensec/electronegativity/package.json').version} on ${path.relative(root, input) || '.'} (Electron ${electronVersion}): ${result.globalChecks} global + ${result.atomicChecks} atomic checks, ${result.errors.length} file errors`)
  for (const name of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']) {
    const list = bySeverity[name] || []
    console.log(`  ${name}: ${list.length}`)
    for (const i of list) console.log(`    ${i.id} ${i.file}:${i.location.line}:${i.location.column} (${i.confidence.name})${i.manualReview ? ' [review]' : ''}`)
  }
  for (const e of result.errors) console.log(`  could not scan ${e.file}: ${e.message || e.error || e}`)
  const high = (bySeverity.CRITICAL || []).length + (bySeverity.HIGH || []).length
  if (high > 0) {
    console.log(`FAILED: ${high} HIGH or CRITICAL finding(s).`)
    process.exit(1)
  }
  console.log('OK: no HIGH or CRITICAL findings.')
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
