// The virtual phone's shell: tokenizer, grammar and the handler table, run on a temp sandbox (no adb involved).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCommandTable, type VirtualDeviceState } from '../../../src/main/devices/virtual/commands'
import { cpuLayout, PowerModel } from '../../../src/main/devices/virtual/power'
import { DeviceFs } from '../../../src/main/devices/virtual/sandbox'
import { collectingSink, ShellSession, type ShellHost } from '../../../src/main/devices/virtual/shell'
import { parseShell, ShellSyntaxError, tokenize, type Token } from '../../../src/main/devices/virtual/shell-syntax'
import { createSyntheticFs } from '../../../src/main/devices/virtual/sysfs'
import { phoneProperties } from '../../../src/main/devices/virtual/phone'
import { quoteShellArg } from '../../../src/main/devices/adb/shell'
import { WarmRuntime } from '../../../src/main/devices/host/warm-runtime'

const words = (tokens: Token[]): string[] =>
  tokens.map((t) => (t.type === 'word' ? t.word.map((p) => (p.kind === 'text' ? p.text : `$${p.name}`)).join('') : t.type === 'op' ? `<${t.op}>` : `<${t.redirect.fd}${t.redirect.mode}>`))

describe('tokenizer', () => {
  it('handles single quotes, the quote-escape idiom and double quotes', () => {
    expect(words(tokenize(`echo 'a b' "c d" 'it'\\''s' e\\ f`))).toEqual(['echo', 'a b', 'c d', "it's", 'e f'])
  })

  it('round-trips any string quoted the way the lab quotes arguments', () => {
    for (const s of ['', 'plain', "it's", "''", 'a;b&&c||d|e', '$? $HOME `x`', 'new\nline', ' spaces ', '\\']) {
      expect(words(tokenize(`echo ${quoteShellArg(s)}`))).toEqual(['echo', s])
    }
  })

  it('splits operators and redirections, including adbkit prefixes and suffixes', () => {
    expect(words(tokenize('echo && pm list features 2>/dev/null'))).toEqual(['echo', '<&&>', 'pm', 'list', 'features', '<2>>'])
    expect(words(tokenize('a;b||c|d >f >>g 2>&1 <h'))).toEqual(['a', '<;>', 'b', '<||>', 'c', '<|>', 'd', '<1>>', '<1>>>', '<2>&>', '<0<>'])
  })

  it('keeps $? and variables for run time, but not inside single quotes', () => {
    expect(words(tokenize(`echo __RC=$? '$?' "\${HOME}"`))).toEqual(['echo', '__RC=$?', '$?', '$HOME'])
  })

  it('refuses unterminated quotes and command substitution', () => {
    expect(() => tokenize(`echo 'oops`)).toThrow(ShellSyntaxError)
    expect(() => tokenize(`echo "oops`)).toThrow(ShellSyntaxError)
    expect(() => tokenize('echo $(id)')).toThrow(ShellSyntaxError)
  })

  it('parses while / for / if', () => {
    const list = parseShell('while getprop sys.boot_completed 2>/dev/null; do sleep 1; done')
    expect(list[0].pipeline.commands[0].type).toBe('while')
    expect(parseShell('for z in a b; do echo $z; done')[0].pipeline.commands[0].type).toBe('for')
    expect(parseShell('if true; then echo y; else echo n; fi')[0].pipeline.commands[0].type).toBe('if')
    expect(() => parseShell('echo a &&')).toThrow(ShellSyntaxError)
  })
})

let root: string
let host: ShellHost
let power: PowerModel
const runtime = new WarmRuntime()

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vshell-'))
  power = new PowerModel({ cores: cpuLayout(8), seed: 3 })
  const dfs = new DeviceFs(root, createSyntheticFs(power))
  await dfs.prepare()
  const state: VirtualDeviceState = { fs: dfs, power, props: phoneProperties('unit', 'Unit Phone', 8), settings: new Map(), bootMs: Date.now(), runtime }
  host = { fs: dfs, handlers: buildCommandTable(state), env: { HOME: '/' } }
})

afterAll(async () => {
  await runtime.close()
  fs.rmSync(root, { recursive: true, force: true })
})

async function sh(command: string): Promise<{ out: string; err: string; status: number }> {
  const out = collectingSink()
  const err = collectingSink()
  const status = await new ShellSession(host, new AbortController().signal).run(command, out.sink, err.sink)
  return { out: out.bytes().toString(), err: err.bytes().toString(), status }
}

describe('shell commands', () => {
  it('runs ; && || with $? and exit codes', async () => {
    expect(await sh('false; echo __RC=$?')).toMatchObject({ out: '__RC=1\n', status: 0 })
    expect(await sh('true && echo yes || echo no')).toMatchObject({ out: 'yes\n' })
    expect(await sh('false && echo yes || echo no')).toMatchObject({ out: 'no\n' })
    expect((await sh('exit 7')).status).toBe(7)
    expect((await sh("echo 'a'\\''b' | cat")).out).toBe("a'b\n")
  })

  it('says an unknown command is not available, with exit 127', async () => {
    const r = await sh('frobnicate --now; echo __RC=$?')
    expect(r.err).toBe('frobnicate: not available on the virtual phone (it runs only the commands the lab needs)\n')
    expect(r.out).toBe('__RC=127\n')
  })

  it('tolerates the adbkit forms', async () => {
    expect((await sh('echo && pm list features 2>/dev/null')).out).toMatch(/^\nfeature:/)
    expect((await sh('while getprop sys.boot_completed 2>/dev/null; do exit 0; done')).out).toBe('1\n')
    const props = (await sh('getprop')).out
    expect(props).toContain('[ro.proxyless.power_model]: [modelled]')
    expect(props).toContain('[ro.proxyless.virtual]: [1]')
  })

  it('writes, reads, hashes and removes files in the sandbox only', async () => {
    expect((await sh("mkdir -p '/data/local/tmp/a/b' && echo hi > '/data/local/tmp/a/b/f' && echo there >> /data/local/tmp/a/b/f")).status).toBe(0)
    expect(fs.readFileSync(path.join(root, 'data/local/tmp/a/b/f'), 'utf8')).toBe('hi\nthere\n')
    expect((await sh('cat /data/local/tmp/a/b/f')).out).toBe('hi\nthere\n')
    expect((await sh('sha256sum /data/local/tmp/a/b/f')).out).toMatch(/^[0-9a-f]{64} {2}\/data\/local\/tmp\/a\/b\/f\n$/)
    expect((await sh('stat -c %s /data/local/tmp/a/b/f')).out).toBe('9\n')
    expect((await sh('test -f /data/local/tmp/a/b/f && [ -d /data/local/tmp/a ] && echo ok')).out).toBe('ok\n')
    expect((await sh('ls /data/local/tmp/a/b')).out).toBe('f\n')
    expect((await sh('rm /data/local/tmp/a; echo $?')).out).toBe('1\n')
    expect((await sh('rm -rf /data/local/tmp/a; ls /data/local/tmp/a 2>/dev/null; echo $?')).out).toBe('1\n')
    expect((await sh('cat /../../etc/passwd')).status).toBe(1)
    expect((await sh('echo x > /proc/stat')).status).toBe(1)
  })

  it('serves sysfs, taskset, nproc, dumpsys battery and globbing', async () => {
    expect((await sh('cat /sys/devices/system/cpu/possible')).out).toBe('0-7\n')
    expect((await sh('cat /sys/devices/system/cpu/cpu7/cpufreq/cpuinfo_max_freq')).out).toBe('2400000\n')
    expect((await sh('cat /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq')).out).toBe('1800000\n')
    expect(Number((await sh('cat /sys/class/power_supply/battery/current_now')).out)).toBeLessThan(0)
    expect((await sh('cat /sys/class/power_supply/usb/online')).out).toBe('0\n')
    expect((await sh("taskset 'f0' nproc")).out).toBe('4\n')
    expect((await sh('dumpsys battery')).out).toMatch(/level: \d+\n[\s\S]*temperature: \d+/)
    expect((await sh('cat /sys/class/thermal/thermal_zone*/type')).out).toBe('cpu-big\ncpu-little\nbattery\nskin\n')
    expect((await sh('uname -m; id')).out).toMatch(/^aarch64\nuid=2000\(shell\)/)
  })
})
