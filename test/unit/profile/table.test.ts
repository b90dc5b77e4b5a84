import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { enumerateBlockConfigs, getSpace } from '../../../src/main/model/space'
import { makeEntry, parseKey, tableFromYaml, tableToYaml } from '../../../src/main/profile/table'

describe('lookup table keys and YAML', () => {
  it('a profile of the small and mobile spaces covers exactly the space enumeration (fixed layers included)', () => {
    for (const name of ['small', 'mobile']) {
      const space = getSpace(name)
      const configs = enumerateBlockConfigs(space)
      const rows = configs.map((c) => makeEntry(space, c.key, { count: 1, meanMs: 1, stdMs: 0, energyMj: null, energyStdMj: null }))
      expect(new Set(rows.map((r) => r.key)).size).toBe(configs.length)
      expect(rows.filter((r) => r.kind === 'fixed').map((r) => r.key.split('-')[0])).toEqual(['Conv', 'expanded_conv', 'Conv_1', 'Logits'])
      for (const r of rows.filter((x) => x.kind === 'block')) expect(r.stage).not.toBeNull()
    }
    // ProxylessNAS mobile: 6 stages x (first block + the rest) x 6 ops, last stage has depth 1, plus 4 fixed layers.
    expect(enumerateBlockConfigs(getSpace('mobile')).length).toBe(70)
  })

  it('parses the fields of a key', () => {
    expect(parseKey('expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:5-stride:2-idskip:0')).toEqual({
      kernel: 5,
      expand: 3,
      stride: 2,
      inputShape: [112, 112, 16],
      outputShape: [56, 56, 24]
    })
    expect(parseKey('Logits-input:7x7x1280-output:1000').outputShape).toEqual([1000])
  })

  it('round-trips through YAML (latency and energy)', () => {
    const space = getSpace('small')
    const keys = enumerateBlockConfigs(space).map((c) => c.key)
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 500, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }), fc.option(fc.double({ min: 0, max: 100, noNaN: true }))), { minLength: keys.length, maxLength: keys.length }), (values) => {
        const rows = keys.map((k, i) => makeEntry(space, k, { count: i + 1, meanMs: values[i][0], stdMs: values[i][1], energyMj: values[i][2], energyStdMj: values[i][2] === null ? null : 0.5 }))
        const back = tableFromYaml(tableToYaml(rows, ['header']), space)
        expect(back.map((r) => r.key)).toEqual(keys)
        back.forEach((r, i) => {
          expect(r.count).toBe(rows[i].count)
          expect(r.meanMs).toBeCloseTo(rows[i].meanMs, 5)
          expect(r.stdMs).toBeCloseTo(rows[i].stdMs, 5)
          if (rows[i].energyMj === null) expect(r.energyMj).toBeNull()
          else expect(r.energyMj).toBeCloseTo(rows[i].energyMj as number, 5)
          expect(r.kind).toBe(rows[i].kind)
          expect(r.stage).toBe(rows[i].stage)
        })
      }),
      { numRuns: 25 }
    )
  })

  it('imports a table in the published format (std or var)', () => {
    const text = fs.readFileSync(path.join(__dirname, 'fixtures', 'mobile_sample_lookup_table.yaml'), 'utf8')
    const space = getSpace('mobile')
    const rows = tableFromYaml(text, space)
    expect(rows).toHaveLength(6)
    const known = new Set(enumerateBlockConfigs(space).map((c) => c.key))
    expect(rows.every((r) => known.has(r.key))).toBe(true)
    const first = rows.find((r) => r.key.startsWith('expanded_conv-input:112x112x16'))!
    expect(first.meanMs).toBe(16.8)
    expect(first.stdMs).toBeCloseTo(0.5, 10)
    expect(first.stage).toBe(0)
    expect(rows.filter((r) => r.kind === 'fixed')).toHaveLength(4)
  })

  it('refuses tables without a numeric mean, with a sentence naming the key', () => {
    expect(() => tableFromYaml('Conv-input:1x1x1-output:1x1x1:\n  count: 3\n', null)).toThrow(/Conv-input:1x1x1-output:1x1x1.*mean/)
    expect(() => tableFromYaml('- a\n- b\n', null)).toThrow(/mapping/)
    expect(() => tableFromYaml('a: [\n', null)).toThrow(/not valid YAML/)
  })
})
