import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CalibrationCache,
  calibrate,
  detectUnits,
  estimateEnergy,
  parseSamplerOutput,
  samplePowerMw,
  samplerCommand,
  type PowerSample
} from '../../../src/main/devices/adb/energy'

/** A phone at 4.0 V drawing idleMa at rest and busyMa under load, reported in the given units and sign. */
function phone(opts: { idleMa: number; busyMa: number; unit: 'uA' | 'mA'; voltUnit: 'uV' | 'mV'; chargePositive: boolean }) {
  const scale = opts.unit === 'uA' ? 1000 : 1
  const sign = opts.chargePositive ? -1 : 1 // charge-positive gauges report a draw as negative
  const v = opts.voltUnit === 'uV' ? 4_000_000 : 4000
  const wiggle = [0, 3, -2, 1, -1, 2, -3, 0]
  const make = (ma: number, t0: number): PowerSample[] =>
    wiggle.map((w, i) => ({ tS: t0 + i * 0.1, currentRaw: Math.round(sign * (ma + w) * scale), voltageRaw: v }))
  return { idle: make(opts.idleMa, 100), busy: make(opts.busyMa, 101) }
}

describe('energy calibration', () => {
  it.each([
    ['µA, charge-positive (Android convention)', 'uA', 'uV', true],
    ['µA, discharge-positive (e.g. Mi A1)', 'uA', 'uV', false],
    ['mA, charge-positive (e.g. P8 Lite)', 'mA', 'mV', true],
    ['mA, discharge-positive (e.g. Samsung)', 'mA', 'uV', false]
  ] as const)('decides units and sign for %s from idle vs busy', (_name, unit, voltUnit, chargePositive) => {
    const { idle, busy } = phone({ idleMa: 200, busyMa: 700, unit, voltUnit, chargePositive })
    const cal = calibrate(idle, busy, true)
    expect(cal.signFrom).toBe('load')
    expect(cal.currentToUa).toBe(unit === 'uA' ? 1 : 1000)
    expect(cal.voltageToUv).toBe(voltUnit === 'uV' ? 1 : 1000)
    // 200 mA at 4 V = 800 mW, 700 mA = 2800 mW, whatever the gauge's convention.
    expect(samplePowerMw(idle[0], cal)).toBeCloseTo(800, 6)
    expect(samplePowerMw(busy[0], cal)).toBeCloseTo(2800, 6)
  })

  it('falls back to battery status, then to the Android convention, when load shows nothing', () => {
    const flat: PowerSample[] = [1, 2, 3].map((i) => ({ tS: i, currentRaw: 350_000, voltageRaw: 3_900_000 }))
    expect(calibrate(flat, flat, true)).toMatchObject({ dischargeSign: 1, signFrom: 'status' })
    expect(calibrate(flat, flat, false)).toMatchObject({ dischargeSign: -1, signFrom: 'convention' })
  })

  it('reads units from magnitudes', () => {
    expect(detectUnits([{ tS: 0, currentRaw: -450_000, voltageRaw: 4_100_000 }])).toEqual({ currentToUa: 1, voltageToUv: 1 })
    expect(detectUnits([{ tS: 0, currentRaw: 450, voltageRaw: 4100 }])).toEqual({ currentToUa: 1000, voltageToUv: 1000 })
    expect(detectUnits([{ tS: 0, currentRaw: 450, voltageRaw: 4 }])).toEqual({ currentToUa: 1000, voltageToUv: 1_000_000 })
  })

  it('power is invariant to how the gauge reports it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 3000 }), fc.integer({ min: 50, max: 2000 }), fc.boolean(), fc.boolean(), (idleMa, extraMa, mA, chargePositive) => {
        const { idle, busy } = phone({ idleMa, busyMa: idleMa + extraMa, unit: mA ? 'mA' : 'uA', voltUnit: 'uV', chargePositive })
        const cal = calibrate(idle, busy, true)
        const p = samplePowerMw(busy[0], cal) - samplePowerMw(idle[0], cal)
        expect(p).toBeCloseTo(extraMa * 4, 3)
      })
    )
  })
})

describe('energy per inference', () => {
  const { idle, busy } = phone({ idleMa: 200, busyMa: 700, unit: 'uA', voltUnit: 'uV', chargePositive: true })
  const cal = calibrate(idle, busy, true)

  it('is (active − idle power) × time per inference, with a standard error', () => {
    const e = estimateEnergy({ idle, active: busy, calibration: cal, steadyDurationMs: 500, runs: 50, charging: { charging: false, source: 'none' }, modelled: false })
    // (2800 − 800) mW × 10 ms = 20 mJ
    expect(e.energyPerInferenceMj).toBeCloseTo(20, 1)
    expect(e.idlePowerMw).toBeCloseTo(800, 0)
    expect(e.activePowerMw).toBeCloseTo(2800, 0)
    expect(e.uncertaintyMj).toBeGreaterThan(0)
    expect(e.uncertaintyMj).toBeLessThan(0.1)
    expect(e.samples).toBe(16)
    expect(e.reliable).toBe(true)
    expect(e.unreliableReason).toBeNull()
  })

  it('is flagged unreliable while USB charges the phone, with the wireless ADB cure', () => {
    const e = estimateEnergy({ idle, active: busy, calibration: cal, steadyDurationMs: 500, runs: 50, charging: { charging: true, source: 'usb' }, modelled: false })
    expect(e.reliable).toBe(false)
    expect(e.unreliableReason).toMatch(/charging \(USB power\)/)
    expect(e.unreliableReason).toMatch(/adb tcpip 5555/)
    expect(e.unreliableReason).toMatch(/adb connect <phone-ip>:5555/)
  })

  it('is flagged unreliable when net charge flows into the battery even if status says otherwise', () => {
    const charging = phone({ idleMa: -300, busyMa: 100, unit: 'uA', voltUnit: 'uV', chargePositive: true })
    const c = calibrate(charging.idle, charging.busy, false)
    const e = estimateEnergy({ idle: charging.idle, active: charging.busy, calibration: c, steadyDurationMs: 100, runs: 10, charging: { charging: false, source: null }, modelled: false })
    expect(e.reliable).toBe(false)
    expect(e.unreliableReason).toMatch(/charging/)
  })

  it('is flagged unreliable with too few samples', () => {
    const e = estimateEnergy({ idle: idle.slice(0, 1), active: busy.slice(0, 2), calibration: cal, steadyDurationMs: 10, runs: 1, charging: { charging: false, source: 'none' }, modelled: true })
    expect(e.reliable).toBe(false)
    expect(e.unreliableReason).toMatch(/Only 1 idle and 2 busy/)
    expect(e.modelled).toBe(true)
  })
})

describe('sampler', () => {
  it('parses the loop output and skips noise', () => {
    const text = '1234.56 4567.89\r\n-412000\r\n4012000\r\ncat: x: No such file\n1234.66 4567.99\n-398000\n4011000\n1234.76 4568.09\n-40'
    expect(parseSamplerOutput(text)).toEqual([
      { tS: 1234.56, currentRaw: -412000, voltageRaw: 4012000 },
      { tS: 1234.66, currentRaw: -398000, voltageRaw: 4011000 }
    ])
  })
  it('builds one quoted loop command', () => {
    const cmd = samplerCommand({ currentPath: '/sys/class/power_supply/battery/current_now', voltagePath: '/sys/class/power_supply/battery/voltage_now' }, '/data/local/tmp/proxyless/sampling.1', 100)
    expect(cmd).toBe(
      "touch '/data/local/tmp/proxyless/sampling.1'; while test -e '/data/local/tmp/proxyless/sampling.1'; do cat '/proc/uptime' '/sys/class/power_supply/battery/current_now' '/sys/class/power_supply/battery/voltage_now'; sleep '0.1'; done"
    )
  })
})

describe('calibration cache', () => {
  it('keeps load-based calibrations per device across restarts', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cal-')), 'energy-calibration.json')
    const a = new CalibrationCache(file)
    a.offer('Pixel 6/abc', { currentToUa: 1, voltageToUv: 1, dischargeSign: -1, signFrom: 'load' })
    a.offer('Other/xyz', { currentToUa: 1, voltageToUv: 1, dischargeSign: -1, signFrom: 'convention' })
    const b = new CalibrationCache(file)
    expect(b.get('Pixel 6/abc')?.dischargeSign).toBe(-1)
    expect(b.get('Other/xyz')).toBeNull()
    fs.rmSync(path.dirname(file), { recursive: true })
  })
})
