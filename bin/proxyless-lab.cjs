#!/usr/bin/env node
// Proxyless Lab command line. Runs the TypeScript sources through tsx (a runtime dependency), so a fresh
// clone needs no build step for the CLI; the window's files are built on first `start`.
'use strict'
const path = require('node:path')
require('tsx/cjs/api').register()
require(path.join(__dirname, '..', 'src', 'main', 'cli.ts')).main(process.argv.slice(2))
