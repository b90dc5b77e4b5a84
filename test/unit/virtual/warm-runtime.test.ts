// The virtual phone's TFLite runtime stays warm between benchmark runs (a fresh WebAssembly instance times the same
// model anywhere from 0.65 to 6.3 ms), is replaced after an abort, and is closed with the phone.
import { describe, expect, it } from 'vitest'
import { WarmRuntime } from '../../../src/main/devices/host/warm-runtime'

describe('warm runtime', () => {
  it('hands out the same warmed runtime until it is discarded, then a new one; closed, it refuses', async () => {
    const warm = new WarmRuntime()
    const a = await warm.get()
    expect(a.running).toBe(true)
    expect(await warm.get()).toBe(a)
    warm.discard()
    const b = await warm.get()
    expect(b).not.toBe(a)
    expect(b.threadId).not.toBe(a.threadId)
    await warm.close()
    expect(b.running).toBe(false)
    await expect(warm.get()).rejects.toThrow(/closed/)
  }, 60_000)

  it('starts a new runtime when the old worker died', async () => {
    const warm = new WarmRuntime()
    const a = await warm.get()
    await a.close()
    const b = await warm.get()
    expect(b).not.toBe(a)
    expect(b.running).toBe(true)
    await warm.close()
  }, 60_000)
})
