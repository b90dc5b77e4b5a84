// Lab settings in <dataDir>/settings.json: validated on read (a broken file falls back to defaults with a warning)
// and written atomically (temp file + rename), so a crash never leaves half a file.
import fs from 'node:fs'
import path from 'node:path'
import { LabSettingsSchema, type LabSettings } from '../shared/contract/settings'
import { LabError } from '../shared/errors'

export class SettingsFile {
  private readonly file: string
  private current: LabSettings
  readonly warning: string | null

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json')
    let warning: string | null = null
    let raw: unknown = {}
    if (fs.existsSync(this.file)) {
      try {
        raw = JSON.parse(fs.readFileSync(this.file, 'utf8'))
      } catch (e) {
        warning = `Settings file ${this.file} is not valid JSON (${(e as Error).message}); using defaults until settings are saved again.`
        raw = {}
      }
    }
    const parsed = LabSettingsSchema.safeParse(raw)
    if (!parsed.success) {
      warning = `Settings file ${this.file} has an invalid value (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}); using defaults.`
    }
    this.current = parsed.success ? parsed.data : LabSettingsSchema.parse({})
    this.warning = warning
  }

  get(): LabSettings {
    return { ...this.current }
  }

  set(patch: Partial<LabSettings>): LabSettings {
    if (patch.benchmarkToolPath && !fs.existsSync(patch.benchmarkToolPath)) {
      throw new LabError('not_found', `There is no benchmark tool at ${patch.benchmarkToolPath}; choose the benchmark_model file for your phone's ABI.`)
    }
    const next = LabSettingsSchema.parse({ ...this.current, ...patch })
    const tmp = `${this.file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n')
    fs.renameSync(tmp, this.file)
    this.current = next
    return this.get()
  }
}
