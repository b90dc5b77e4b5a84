import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireDataDirLock, LOCK_FILE_NAME } from '../../../src/main/store/lock'

const dirs: string[] = []
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-lock-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

describe('data folder lock', () => {
  it('gives ownership to the first lab and not to a second one while the first lives', () => {
    const dir = tmpDir()
    // A live process other than this one holds the lock.
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: process.ppid, mode: 'electron' }))
    const second = acquireDataDirLock(dir, 'cli')
    expect(second.owner).toBe(false)
    expect(second.ownerPid).toBe(process.ppid)
    second.release()
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(true)
  })

  it('takes over a stale lock left by a crashed lab, and releases it on close', () => {
    const dir = tmpDir()
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)'])
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: dead.pid, mode: 'browser' }))
    const lock = acquireDataDirLock(dir, 'cli')
    expect(lock.owner).toBe(true)
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE_NAME), 'utf8')).pid).toBe(process.pid)
    lock.release()
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false)
  })

  it('treats a corrupt lock file as stale', () => {
    const dir = tmpDir()
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), '{"pid":')
    const lock = acquireDataDirLock(dir, 'cli')
    expect(lock.owner).toBe(true)
    lock.release()
  })
})
