// CLI output: human text or --json, progress bars on stderr, and time formatting.
import type { JobInfo } from '../../shared/api'

export interface Output {
  json: boolean
  /** Print the result: JSON (one document) with --json, otherwise the human text. */
  result(value: unknown, human: () => string): void
  info(line: string): void
  error(line: string): void
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result(value, human) {
      stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n')
    },
    info(line) {
      // With --json, stdout carries only the JSON document; notes go to stderr.
      ;(json ? stderr : stdout).write(line + '\n')
    },
    error(line) {
      stderr.write(line + '\n')
    }
  }
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  const h = Math.floor(m / 60)
  return `${h} h ${m % 60} min`
}

export function formatTimeLeft(ms: number | null): string {
  return ms === null ? 'estimating time left' : `${formatDuration(ms)} left`
}

/** A one-line progress bar on stderr; redraws in place on a terminal, prints every 10% otherwise. */
export class ProgressBar {
  private lastDecile = -1
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(job: JobInfo): void {
    const p = job.progress
    if (!p) return
    const pct = Math.max(0, Math.min(100, Math.round(p.fraction * 100)))
    const width = 24
    const filled = Math.round((pct / 100) * width)
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled)
    const line = `[${bar}] ${String(pct).padStart(3)}%  ${p.stage}  (${formatTimeLeft(p.timeLeftMs)})`
    if (this.stream.isTTY) {
      this.stream.write('\r\x1b[2K' + line.slice(0, (this.stream.columns || 120) - 1))
    } else {
      const decile = Math.floor(pct / 10)
      if (decile !== this.lastDecile) {
        this.lastDecile = decile
        this.stream.write(line + '\n')
      }
    }
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[2K')
  }
}
