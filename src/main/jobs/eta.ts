// Time left from the progress rate: an exponential moving average of fraction-per-ms between reports,
// so one slow or fast step moves the estimate without making it jump.
export class TimeLeftEstimator {
  private last: { fraction: number; atMs: number } | null = null
  private ratePerMs: number | null = null

  /** @param smoothing weight of the newest rate sample, 0..1 */
  constructor(private readonly smoothing = 0.3) {}

  /** Record a progress report; returns the estimated ms left, or null until two reports show a rate. */
  update(fraction: number, atMs: number): number | null {
    if (fraction >= 1) return 0
    const last = this.last
    if (last === null || fraction < last.fraction) {
      // First report, or progress went backwards (a new phase): start measuring the rate afresh.
      this.last = { fraction, atMs }
      this.ratePerMs = null
      return null
    }
    const dtMs = atMs - last.atMs
    const dFraction = fraction - last.fraction
    if (dtMs > 0 && dFraction > 0) {
      const sample = dFraction / dtMs
      this.ratePerMs = this.ratePerMs === null ? sample : this.smoothing * sample + (1 - this.smoothing) * this.ratePerMs
      this.last = { fraction, atMs }
    }
    return this.ratePerMs === null || this.ratePerMs <= 0 ? null : Math.round((1 - fraction) / this.ratePerMs)
  }

  reset(): void {
    this.last = null
    this.ratePerMs = null
  }
}
