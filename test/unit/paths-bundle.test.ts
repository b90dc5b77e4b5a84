// Files the build writes beside the main bundle (worker entries, the native .wasm) are found from code the bundler
// moved into out/main/chunks as well as from the entry files' own folder.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { besideBundle } from '../../src/main/paths'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'))
const main = path.join(root, 'out', 'main')
fs.mkdirSync(path.join(main, 'chunks'), { recursive: true })
fs.writeFileSync(path.join(main, 'tflite-worker.js'), '')
fs.writeFileSync(path.join(main, 'chunks', 'only-here.js'), '')

afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('besideBundle', () => {
  it('finds an entry file from the entry folder and from the chunks folder below it', () => {
    expect(besideBundle(main, 'tflite-worker.js')).toBe(path.join(main, 'tflite-worker.js'))
    expect(besideBundle(path.join(main, 'chunks'), 'tflite-worker.js')).toBe(path.join(main, 'tflite-worker.js'))
    expect(besideBundle(path.join(main, 'chunks'), 'only-here.js')).toBe(path.join(main, 'chunks', 'only-here.js'))
  })
  it('gives null when neither folder holds it (running from source)', () => {
    expect(besideBundle(path.join(main, 'chunks'), 'train-worker.js')).toBeNull()
  })
})
