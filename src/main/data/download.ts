// Download one file into the lab's cache, verified: bytes stream into a temp file beside the target while the
// checksum is computed; only a file whose checksum matches the published one is renamed into place.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../shared/errors'
import { formatCount } from './dataset'

export interface Checksum {
  algorithm: 'md5' | 'sha256'
  /** Lower-case hex digest. */
  hex: string
}

export interface DownloadProgress {
  /** File name being downloaded. */
  file: string
  bytesDone: number
  /** From Content-Length, or null when the server does not say. */
  bytesTotal: number | null
}

export interface DownloadOptions {
  url: string
  /** Final path; it appears only once the checksum matched. */
  dest: string
  checksum: Checksum
  onProgress?: (p: DownloadProgress) => void
  signal?: AbortSignal
  /** What to tell a person who must fetch the file by hand ("copy it into ..."). */
  manualHint?: string
}

/** Download `url` to `dest`, verifying its checksum; throws LabError and leaves nothing behind on any failure. */
export async function downloadVerified(opts: DownloadOptions): Promise<void> {
  const file = path.basename(opts.dest)
  const manual = opts.manualHint ? ` ${opts.manualHint}` : ''
  await mkdir(path.dirname(opts.dest), { recursive: true })
  const temp = `${opts.dest}.part-${randomBytes(4).toString('hex')}`
  const cancelled = () => new LabError('cancelled', `The download of ${file} was cancelled; nothing was saved.`)
  try {
    if (opts.signal?.aborted) throw cancelled()
    let response: Response
    try {
      response = await fetch(opts.url, { signal: opts.signal })
    } catch (e) {
      if (opts.signal?.aborted) throw cancelled()
      throw new LabError('not_found', `Could not reach ${opts.url} (${causeOf(e)}): check the internet connection and try again.${manual}`)
    }
    if (!response.ok || !response.body) {
      throw new LabError('not_found', `${opts.url} answered HTTP ${response.status} ${response.statusText}: the file is not available there now; try again later.${manual}`)
    }
    const lengthHeader = response.headers.get('content-length')
    const bytesTotal = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null
    const hash = createHash(opts.checksum.algorithm)
    const out = createWriteStream(temp)
    let writeError: Error | null = null
    out.on('error', (e) => (writeError = e))
    let bytesDone = 0
    try {
      const reader = response.body.getReader()
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch (e) {
          if (opts.signal?.aborted) throw cancelled()
          throw new LabError('not_found', `The download of ${file} from ${opts.url} broke off after ${formatCount(bytesDone)} bytes (${causeOf(e)}); nothing was saved: try again.${manual}`)
        }
        if (chunk.done) break
        hash.update(chunk.value)
        bytesDone += chunk.value.length
        if (!out.write(chunk.value)) await new Promise<void>((resolve) => (writeError ? resolve() : (out.once('drain', resolve), out.once('error', () => resolve()))))
        if (writeError) throw new LabError('internal', `Could not write ${temp} (${(writeError as Error).message}): check the free disk space and the folder's permissions.`)
        opts.onProgress?.({ file, bytesDone, bytesTotal })
      }
    } finally {
      if (!writeError) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
      else out.destroy()
    }
    if (opts.signal?.aborted) throw cancelled()
    if (bytesTotal !== null && bytesDone !== bytesTotal) {
      throw new LabError('not_found', `The download of ${file} from ${opts.url} stopped after ${formatCount(bytesDone)} of ${formatCount(bytesTotal)} bytes; nothing was saved: try again.${manual}`)
    }
    const actual = hash.digest('hex')
    if (actual !== opts.checksum.hex.toLowerCase()) {
      throw new LabError(
        'invalid_file',
        `${file} from ${opts.url} has ${opts.checksum.algorithm.toUpperCase()} ${actual} but the published checksum is ${opts.checksum.hex}: the download was damaged or the server sent another file; nothing was saved. Try again later.${manual}`
      )
    }
    await rename(temp, opts.dest)
  } finally {
    await rm(temp, { force: true })
  }
}

function causeOf(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } }
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e)
}
