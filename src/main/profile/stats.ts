// Ranking and error statistics for the prediction check: RMSE, share within ±p%, Kendall's τ-b.

/** Root mean square of predicted − measured. */
export function rmse(predicted: readonly number[], measured: readonly number[]): number {
  if (predicted.length === 0) return 0
  let sum = 0
  for (let i = 0; i < predicted.length; i++) sum += (predicted[i] - measured[i]) ** 2
  return Math.sqrt(sum / predicted.length)
}

/** Share (0..1) of points whose prediction is within ±pct% of the measurement. */
export function shareWithin(predicted: readonly number[], measured: readonly number[], pct = 10): number {
  if (predicted.length === 0) return 0
  let n = 0
  for (let i = 0; i < predicted.length; i++) if (Math.abs(predicted[i] - measured[i]) <= (pct / 100) * Math.abs(measured[i])) n++
  return n / predicted.length
}

/** Pairs t(t-1)/2 summed over runs of equal values in an already sorted list. */
function tiedPairs(values: readonly number[]): number {
  let pairs = 0
  let run = 1
  for (let i = 1; i <= values.length; i++) {
    if (i < values.length && values[i] === values[i - 1]) run++
    else {
      pairs += (run * (run - 1)) / 2
      run = 1
    }
  }
  return pairs
}

/** Sorts `a` in place (merge sort) and returns how many swaps (inversions) a bubble sort would need. */
function countInversions(a: number[]): number {
  const tmp = new Array<number>(a.length)
  let swaps = 0
  for (let width = 1; width < a.length; width *= 2) {
    for (let lo = 0; lo < a.length; lo += 2 * width) {
      const mid = Math.min(lo + width, a.length)
      const hi = Math.min(lo + 2 * width, a.length)
      let i = lo
      let j = mid
      let k = lo
      while (i < mid && j < hi) {
        if (a[j] < a[i]) {
          swaps += mid - i
          tmp[k++] = a[j++]
        } else tmp[k++] = a[i++]
      }
      while (i < mid) tmp[k++] = a[i++]
      while (j < hi) tmp[k++] = a[j++]
      for (let m = lo; m < hi; m++) a[m] = tmp[m]
    }
  }
  return swaps
}

/**
 * Kendall's τ-b in O(n log n) (Knight's algorithm): sort by x (then y), count y inversions, correct for ties.
 * 0 when either list is constant (no ranking to compare).
 */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  const n = x.length
  if (n !== y.length) throw new Error('kendallTau needs lists of equal length')
  if (n < 2) return 0
  const order = [...Array(n).keys()].sort((i, j) => x[i] - x[j] || y[i] - y[j])
  const xs = order.map((i) => x[i])
  const ys = order.map((i) => y[i])
  const n0 = (n * (n - 1)) / 2
  const n1 = tiedPairs(xs)
  // Pairs tied in both x and y: runs of equal (x, y) in the sorted order.
  let n3 = 0
  let run = 1
  for (let i = 1; i <= n; i++) {
    if (i < n && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) run++
    else {
      n3 += (run * (run - 1)) / 2
      run = 1
    }
  }
  const sortedY = [...ys]
  const swaps = countInversions(sortedY)
  const n2 = tiedPairs(sortedY)
  const denominator = Math.sqrt((n0 - n1) * (n0 - n2))
  if (denominator === 0) return 0
  return (n0 - n1 - n2 + n3 - 2 * swaps) / denominator
}

/** Kendall's τ-b by counting every pair: O(n²), the reference the fast version is tested against. */
export function kendallTauBruteForce(x: readonly number[], y: readonly number[]): number {
  let concordantMinusDiscordant = 0
  let untiedX = 0
  let untiedY = 0
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i] - x[j])
      const dy = Math.sign(y[i] - y[j])
      concordantMinusDiscordant += dx * dy
      if (dx !== 0) untiedX++
      if (dy !== 0) untiedY++
    }
  }
  const denominator = Math.sqrt(untiedX * untiedY)
  return denominator === 0 ? 0 : concordantMinusDiscordant / denominator
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
