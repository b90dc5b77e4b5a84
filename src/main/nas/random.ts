// A seeded random source whose state can be saved in a checkpoint and restored (mulberry32 with a visible state).

export type Rng = () => number

export class SavableRng {
  private a: number
  constructor(seed: number) {
    this.a = seed >>> 0
  }

  readonly next: Rng = () => {
    this.a = (this.a + 0x6d2b79f5) >>> 0
    let t = this.a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  get state(): number {
    return this.a
  }

  set state(a: number) {
    this.a = a >>> 0
  }
}
