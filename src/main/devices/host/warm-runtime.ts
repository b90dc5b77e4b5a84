// One host TFLite runtime kept warm between benchmarks. A fresh WebAssembly instance runs its first thousands of
// calls in V8's baseline tier and tiers hot functions up in the background, so a benchmark of a millisecond model in
// a just-started runtime measured 0.65–6.3 ms for the same file (run to run), against ±5 % in a warm one. A phone's
// benchmark_model is native code: the virtual phone keeps one runtime per phone, warmed on start with networks that
// use every kernel of the lab's spaces (3×3, 5×5, 7×7 depthwise, 1×1 conv, add, mean, dense; fp32 and int8).
import { LabError } from '../../../shared/errors'
import { exportArchitecture } from '../../model/export'
import { HostRuntime } from './runtime'

let warmModels: Uint8Array[] | null = null

/** Small-space networks with every candidate op, fp32 and int8 (built once per process). */
function warmUpModels(): Uint8Array[] {
  warmModels ??= (['fp32', 'int8'] as const).flatMap((precision) =>
    ['k3e6-k5e6-k7e6-k3e3-k5e3-k7e3-k3e6', 'k7e6-k3e3-k5e6-k7e3-k3e6-k5e3-k7e6'].map(
      (arch, i) => exportArchitecture({ space: 'small', stemStride: 1, arch, precision, seed: 11 + i, softmax: true }).bytes
    )
  )
  return warmModels
}

/** Runs the warm-up networks until V8 has compiled their kernels with its optimising tier. */
export async function warmUp(rt: HostRuntime, runs = 40): Promise<void> {
  for (const bytes of warmUpModels()) {
    const model = await rt.load(bytes)
    try {
      await model.benchmark({ threads: 1, runs, warmupRuns: 1, profileOps: false })
    } finally {
      await model.dispose()
    }
  }
}

export class WarmRuntime {
  private current: Promise<HostRuntime> | null = null
  private closed = false

  /** The warm runtime, started (and warmed) on first use or after the last one died or was discarded. */
  async get(): Promise<HostRuntime> {
    if (this.closed) throw new LabError('internal', 'The TFLite runtime of this virtual phone was closed; the phone is stopping.')
    if (!this.current) {
      const started = HostRuntime.start().then(async (rt) => {
        try {
          await warmUp(rt)
          return rt
        } catch (e) {
          await rt.close()
          throw e
        }
      })
      this.current = started
      started.catch(() => {
        if (this.current === started) this.current = null
      })
    }
    const rt = await this.current
    if (rt.running) return rt
    this.current = null
    return this.get()
  }

  /** Stops the runtime (e.g. to abort a long benchmark); the next get() starts a new one. */
  discard(): void {
    const old = this.current
    this.current = null
    void old?.then((rt) => rt.close(), () => undefined)
  }

  async close(): Promise<void> {
    this.closed = true
    const old = this.current
    this.current = null
    if (old) await old.then((rt) => rt.close(), () => undefined)
  }
}
