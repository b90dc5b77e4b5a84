// One lab process owns a data folder's jobs at a time. A second process (e.g. the CLI while the window is open)
// still reads and writes the store, but must not mark the owner's running jobs as interrupted.
import fs from 'node:fs'
import path from 'node:path'

export const LOCK_FILE_NAME = 'lab.lock'

export interface DataDirLock {
  /** True when this process owns the folder's jobs (no other live lab holds it). */
  readonly owner: boolean
  /** The pid of the live owner when this process is not it. */
  readonly ownerPid: number | null
  release(): void
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function acquireDataDirLock(dataDir: string, mode: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE_NAME)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx')
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, mode, startedAt: Date.now() }))
      fs.closeSync(fd)
      let released = false
      return {
        owner: true,
        ownerPid: null,
        release() {
          if (released) return
          released = true
          try {
            const held = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number }
            if (held.pid === process.pid) fs.unlinkSync(file)
          } catch {
            // Already gone.
          }
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      let pid: number | null = null
      try {
        pid = Number((JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown }).pid) || null
      } catch {
        pid = null // half-written or corrupt: treat as stale
      }
      if (pid !== null && pid !== process.pid && isAlive(pid)) return { owner: false, ownerPid: pid, release() {} }
      fs.rmSync(file, { force: true }) // stale lock from a crashed lab
    }
  }
  return { owner: false, ownerPid: null, release() {} }
}
