import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { quoteShellArg, shellCommand, splitExitCode } from '../../../src/main/devices/adb/shell'

const printThroughSh = (quoted: string): string => execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' })

describe('quoteShellArg', () => {
  it('round-trips any string through a POSIX shell', () => {
    // NUL cannot be passed in argv at all; every other code point must come back unchanged.
    const arg = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'))
    fc.assert(
      fc.property(arg, (s) => {
        expect(printThroughSh(quoteShellArg(s))).toBe(s)
      }),
      { numRuns: 150 }
    )
  })

  it('neutralises shell syntax', () => {
    for (const s of ["it's", '$(rm -rf /)', '`id`', 'a;b', '"', "'", '', ' ', '\n', '*', '$HOME', "'\\''"]) {
      expect(printThroughSh(quoteShellArg(s))).toBe(s)
    }
  })

  it('quotes every word of a command', () => {
    expect(shellCommand('ls', '/data/local/tmp', "a b'c")).toBe(`'ls' '/data/local/tmp' 'a b'\\''c'`)
  })
})

describe('splitExitCode', () => {
  it('takes the last marker and keeps what came before and after', () => {
    expect(splitExitCode('hello\n__RC=0\n')).toEqual({ output: 'hello\n', exitCode: 0, after: '' })
    expect(splitExitCode('x __RC=5 inside\r\n__RC=127\r\n123.4 5.6\r\n')).toEqual({ output: 'x __RC=5 inside\n', exitCode: 127, after: '123.4 5.6\n' })
    expect(splitExitCode('__RC=3')).toEqual({ output: '', exitCode: 3, after: '' })
  })
  it('says null when the command never finished', () => {
    expect(splitExitCode('count=5 first=').exitCode).toBeNull()
  })
})
