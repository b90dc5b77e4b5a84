// The virtual phone's file system: device paths map into a sandbox folder on this computer (/X → <root>/X),
// except /proc and /sys, which are synthetic and read-only. A path that climbs above / is refused.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { SyntheticFs } from './sysfs'

export class DevicePathError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DevicePathError'
  }
}

/** Absolute, normalized device path. Throws DevicePathError when `..` would climb above the root. */
export function normalizeDevicePath(devicePath: string, cwd = '/'): string {
  if (devicePath.includes('\0')) throw new DevicePathError(`${JSON.stringify(devicePath)}: invalid path`)
  const full = devicePath.startsWith('/') ? devicePath : `${cwd}/${devicePath}`
  const stack: string[] = []
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (stack.length === 0) throw new DevicePathError(`${devicePath}: path escapes the device root`)
      stack.pop()
    } else stack.push(part)
  }
  return '/' + stack.join('/')
}

export const S_IFMT = 0o170000
export const S_IFDIR = 0o040000
export const S_IFREG = 0o100000

export interface DeviceStat {
  /** st_mode with the type bits. */
  mode: number
  size: number
  mtimeS: number
  isDirectory: boolean
}

/** Folders every Android phone has, created in each sandbox. */
export const STANDARD_DIRS = ['/data/local/tmp', '/sdcard', '/storage/emulated/0', '/system/bin']

export class DeviceFs {
  constructor(
    readonly root: string,
    private readonly synthetic: SyntheticFs
  ) {}

  async prepare(): Promise<void> {
    for (const dir of STANDARD_DIRS) await fsp.mkdir(this.hostPath(dir), { recursive: true })
  }

  /** The host path for a device path (synthetic paths have none). */
  hostPath(devicePath: string): string {
    const normalized = normalizeDevicePath(devicePath)
    return path.join(this.root, ...normalized.split('/').filter(Boolean))
  }

  isSynthetic(devicePath: string): boolean {
    return this.synthetic.owns(normalizeDevicePath(devicePath))
  }

  async stat(devicePath: string): Promise<DeviceStat | null> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) {
      const text = this.synthetic.read(p)
      if (text !== null) return { mode: S_IFREG | 0o444, size: Buffer.byteLength(text), mtimeS: Math.floor(Date.now() / 1000), isDirectory: false }
      if (this.synthetic.list(p)) return { mode: S_IFDIR | 0o555, size: 0, mtimeS: 0, isDirectory: true }
      return null
    }
    try {
      const st = await fsp.stat(this.hostPath(p))
      return { mode: st.mode, size: st.size, mtimeS: Math.floor(st.mtimeMs / 1000), isDirectory: st.isDirectory() }
    } catch {
      return null
    }
  }

  /** Entry names of a directory (without . and ..), or null when it is not a directory. */
  async list(devicePath: string): Promise<string[] | null> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) return this.synthetic.list(p)
    try {
      const names = await fsp.readdir(this.hostPath(p))
      if (p === '/') for (const root of ['proc', 'sys']) if (!names.includes(root)) names.push(root)
      return names.sort()
    } catch {
      return null
    }
  }

  async readFile(devicePath: string): Promise<Buffer> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) {
      const text = this.synthetic.read(p)
      if (text === null) throw new DevicePathError(this.synthetic.list(p) ? `${devicePath}: Is a directory` : `${devicePath}: No such file or directory`)
      return Buffer.from(text)
    }
    try {
      return await fsp.readFile(this.hostPath(p))
    } catch (e) {
      throw new DevicePathError(`${devicePath}: ${describeFsError(e)}`)
    }
  }

  /** Chunks of at most `chunkBytes`, read from disk as they are consumed. */
  async *readChunks(devicePath: string, chunkBytes: number): AsyncGenerator<Buffer> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) {
      const all = await this.readFile(p)
      for (let i = 0; i < all.length; i += chunkBytes) yield all.subarray(i, i + chunkBytes)
      return
    }
    let handle: fsp.FileHandle
    try {
      handle = await fsp.open(this.hostPath(p), 'r')
    } catch (e) {
      throw new DevicePathError(`${devicePath}: ${describeFsError(e)}`)
    }
    try {
      if ((await handle.stat()).isDirectory()) throw new DevicePathError(`${devicePath}: Is a directory`)
      for (;;) {
        const buf = Buffer.allocUnsafe(chunkBytes)
        const { bytesRead } = await handle.read(buf, 0, chunkBytes, null)
        if (bytesRead === 0) break
        yield buf.subarray(0, bytesRead)
      }
    } finally {
      await handle.close()
    }
  }

  /** Opens a file for writing (creating parent folders). Refuses synthetic paths. */
  async openWrite(devicePath: string, opts: { append?: boolean; mode?: number } = {}): Promise<fsp.FileHandle> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) throw new DevicePathError(`${devicePath}: Read-only file system`)
    const host = this.hostPath(p)
    try {
      await fsp.mkdir(path.dirname(host), { recursive: true })
      const handle = await fsp.open(host, opts.append ? 'a' : 'w', opts.mode ?? 0o644)
      if (opts.mode !== undefined) await handle.chmod(opts.mode)
      return handle
    } catch (e) {
      throw new DevicePathError(`${devicePath}: ${describeFsError(e)}`)
    }
  }

  async writeFile(devicePath: string, data: Buffer | string, append = false): Promise<void> {
    const handle = await this.openWrite(devicePath, { append })
    try {
      await handle.writeFile(data)
    } finally {
      await handle.close()
    }
  }

  async mkdir(devicePath: string, parents: boolean): Promise<void> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) throw new DevicePathError(`${devicePath}: Read-only file system`)
    try {
      await fsp.mkdir(this.hostPath(p), { recursive: parents })
    } catch (e) {
      throw new DevicePathError(`${devicePath}: ${describeFsError(e)}`)
    }
  }

  async remove(devicePath: string, recursive: boolean): Promise<void> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p) || p === '/') throw new DevicePathError(`${devicePath}: Read-only file system`)
    const host = this.hostPath(p)
    let st: fs.Stats
    try {
      st = await fsp.lstat(host)
    } catch (e) {
      throw new DevicePathError(`${devicePath}: ${describeFsError(e)}`)
    }
    if (st.isDirectory() && !recursive) throw new DevicePathError(`${devicePath}: Is a directory`)
    await fsp.rm(host, { recursive, force: false })
  }

  async chmod(devicePath: string, mode: number): Promise<void> {
    const p = normalizeDevicePath(devicePath)
    if (this.synthetic.owns(p)) throw new DevicePathError(`${devicePath}: Read-only file system`)
    try {
      await fsp.chmod(this.hostPath(p), mode)
    } catch (e) {
      throw new DevicePathError(`${devicePath}: ${describeFsError(e)}`)
    }
  }
}

export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'ENOENT':
      return 'No such file or directory'
    case 'EISDIR':
      return 'Is a directory'
    case 'ENOTDIR':
      return 'Not a directory'
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied'
    case 'EEXIST':
      return 'File exists'
    case 'ENOTEMPTY':
      return 'Directory not empty'
    default:
      return e instanceof Error ? e.message : String(e)
  }
}
