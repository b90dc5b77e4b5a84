// The CLI as a user runs it: a real process, real exit codes, --json on stdout.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = path.resolve(__dirname, '..', '..', '..')
const bin = path.join(root, 'bin', 'proxyless-lab.cjs')
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-cli-'))

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }))

describe('proxyless-lab CLI', () => {
  it('--help lists the commands and exits 0', () => {
    const r = cli('--help')
    expect(r.code).toBe(0)
    for (const name of ['start', 'serve', 'info', 'jobs demo', 'jobs list', 'jobs cancel', 'jobs resume']) expect(r.stdout).toContain(name)
  })

  it('an unknown command or a bad option is a usage error (exit 2) with a sentence', () => {
    const unknown = cli('frobnicate')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/)
    const badOption = cli('jobs', 'demo', '--steps', 'many', '--data-dir', dataDir)
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toMatch(/--steps must be a whole number/)
    const unknownFlag = cli('info', '--colour', '--data-dir', dataDir)
    expect(unknownFlag.code).toBe(2)
  })

  it('runs a demo job to the end and prints it as JSON', () => {
    const r = cli('jobs', 'demo', '--steps', '3', '--step-ms', '20', '--json', '--data-dir', dataDir)
    expect(r.code).toBe(0)
    const job = JSON.parse(r.stdout)
    expect(job).toMatchObject({ kind: 'demo', state: 'succeeded' })
    const list = JSON.parse(cli('jobs', 'list', '--json', '--data-dir', dataDir).stdout)
    expect(list.map((j: { id: string }) => j.id)).toContain(job.id)
  })

  it('a missing job is a failure (exit 1) that says what to do, also as JSON', () => {
    const r = cli('jobs', 'show', 'no-such-job', '--json', '--data-dir', dataDir)
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout).error.code).toBe('not_found')
    expect(r.stderr).toMatch(/no-such-job/)
  })

  it('info reports the data folder it was given', () => {
    const r = cli('info', '--json', '--data-dir', dataDir)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).dataDir).toBe(dataDir)
  })
})
