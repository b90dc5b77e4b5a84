// The virtual phone's power model, on a fake clock.
import { describe, expect, it } from 'vitest'
import { busyCoresFor, coresInMask, cpuLayout, PowerModel } from '../../../src/main/devices/virtual/power'

function model(seed = 1, usbCharging = false) {
  let nowMs = 0
  const power = new PowerModel({ cores: cpuLayout(8), seed, usbCharging, nowMs: () => nowMs })
  return { power, advance: (ms: number) => (nowMs += ms) }
}

describe('power model', () => {
  it('lays out 4 little cores at 1.8 GHz and 4 big cores at 2.4 GHz, and reads taskset masks', () => {
    expect(cpuLayout(8).map((c) => c.maxFreqKhz)).toEqual([1.8e6, 1.8e6, 1.8e6, 1.8e6, 2.4e6, 2.4e6, 2.4e6, 2.4e6])
    expect(coresInMask('f0', 8)).toEqual([4, 5, 6, 7])
    expect(coresInMask('0x3', 8)).toEqual([0, 1])
    expect(coresInMask('zz', 8)).toBeNull()
    expect(busyCoresFor(2, [0, 1, 2, 3, 4, 5, 6, 7], cpuLayout(8))).toEqual([7, 6]) // the scheduler prefers big cores
    expect(busyCoresFor(8, [0, 1], cpuLayout(8))).toEqual([1, 0]) // no more busy cores than the mask allows
  })

  it('discharges with negative µA, more with more busy cores, and drains the battery', () => {
    const { power, advance } = model()
    const idle = power.battery()
    expect(idle.currentUa).toBeLessThan(0)
    expect(idle.status).toBe('Discharging')
    const stopOne = power.startLoad([7])
    const one = power.battery().currentUa
    stopOne()
    const stopFour = power.startLoad([4, 5, 6, 7])
    const four = power.battery().currentUa
    expect(Math.abs(one)).toBeGreaterThan(Math.abs(idle.currentUa) * 1.5)
    expect(Math.abs(four)).toBeGreaterThan(Math.abs(one) * 2)
    advance(2 * 3600 * 1000) // two hours flat out
    expect(power.battery().capacityPct).toBeLessThan(idle.capacityPct - 20)
    stopFour()
  })

  it('heats up while busy and cools back exponentially', () => {
    const { power, advance } = model()
    const startC = power.thermalZones()[0].milliC / 1000
    const stop = power.startLoad([4, 5, 6, 7])
    advance(20_000) // one time constant of the CPU zone
    const hotC = power.thermalZones()[0].milliC / 1000
    expect(hotC - startC).toBeGreaterThan(10)
    stop()
    advance(20_000)
    const coolerC = power.thermalZones()[0].milliC / 1000
    advance(200_000)
    const coldC = power.thermalZones()[0].milliC / 1000
    expect(coolerC).toBeLessThan(hotC)
    expect(coolerC).toBeGreaterThan(coldC)
    expect(Math.abs(coldC - startC)).toBeLessThan(1)
  })

  it('charges over USB with positive current and reports it', () => {
    const { power } = model(1, true)
    const b = power.battery()
    expect(b.currentUa).toBeGreaterThan(0)
    expect(b.status).toBe('Charging')
    expect(b.usbOnline).toBe(true)
  })

  it('is reproducible for a seed', () => {
    const a = model(42).power
    const b = model(42).power
    expect([a.battery().currentUa, a.battery().currentUa]).toEqual([b.battery().currentUa, b.battery().currentUa])
  })
})
