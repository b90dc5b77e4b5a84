// The files a virtual phone daemon hands to the lab: a reader never sees half of one.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readReadyFile, writeFileAtomic } from '../../../src/main/devices/virtual/daemon'

const dirs: string[] = []
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vphone-files-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('virtual phone daemon files', () => {
  it('reads the ready file only once it is whole: missing, empty or cut short is "not yet"', async () => {
    const file = path.join(tempDir(), 'starting-x.json')
    expect(await readReadyFile(file)).toBeNull()
    fs.writeFileSync(file, '')
    expect(await readReadyFile(file)).toBeNull() // was "Unexpected end of JSON input" when the lab polled mid-write
    fs.writeFileSync(file, '{"serial":"127.0.0.1:40')
    expect(await readReadyFile(file)).toBeNull()
    fs.writeFileSync(file, JSON.stringify({ serial: '127.0.0.1:40000', port: 40000 }))
    expect(await readReadyFile(file)).toMatchObject({ serial: '127.0.0.1:40000', port: 40000 })
    fs.writeFileSync(file, JSON.stringify({ error: 'port in use' }))
    expect(await readReadyFile(file)).toEqual({ error: 'port in use' })
  })

  it('writes through a temporary file renamed into place, leaving nothing else behind', async () => {
    const dir = tempDir()
    const file = path.join(dir, '40000.json')
    await writeFileAtomic(file, '{"a":1}')
    await writeFileAtomic(file, '{"a":2}')
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: 2 })
    expect(fs.readdirSync(dir)).toEqual(['40000.json'])
  })
})
