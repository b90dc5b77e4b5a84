// The virtual phone's POWER MODEL. Everything it reports is modelled, not measured: the phone says so with
// ro.proxyless.virtual=1 and ro.proxyless.power_model=modelled.
//
// Model (one lumped battery, one lumped thermal mass per zone):
//   P = P_idle + P_uncore·[any core busy] + Σ_busy cores P_core(cluster)      (mW)
//   V = V_oc(soc) − I·R_internal,  V_oc = 3.50 V + 0.70 V·soc                  (soc in 0..1)
//   I = P / V, negative while discharging (µA, Pixel-style sign); USB adds +chargeCurrent
//   dT/dt = (T_ambient + P·R_thermal − T) / τ   per zone, integrated exactly between load changes
// plus small seeded noise on current and temperatures, so two phones with the same seed read alike.

export interface CpuCore {
  index: number
  cluster: 'little' | 'big'
  maxFreqKhz: number
}

export const LITTLE_MAX_FREQ_KHZ = 1_800_000
export const BIG_MAX_FREQ_KHZ = 2_400_000

/** big.LITTLE layout: the lower half little cores (1.8 GHz), the upper half big cores (2.4 GHz). */
export function cpuLayout(coreCount: number): CpuCore[] {
  const little = Math.floor(coreCount / 2)
  return Array.from({ length: coreCount }, (_, index) =>
    index < little ? { index, cluster: 'little' as const, maxFreqKhz: LITTLE_MAX_FREQ_KHZ } : { index, cluster: 'big' as const, maxFreqKhz: BIG_MAX_FREQ_KHZ }
  )
}

/** Parses a taskset mask ('f0', '0xf0') into core indexes that exist; null when the mask is not hex. */
export function coresInMask(maskHex: string, coreCount: number): number[] | null {
  const clean = maskHex.replace(/^0x/i, '')
  if (!/^[0-9a-f]{1,16}$/i.test(clean)) return null
  const mask = BigInt('0x' + clean)
  const cores: number[] = []
  for (let i = 0; i < coreCount; i++) if ((mask >> BigInt(i)) & 1n) cores.push(i)
  return cores
}

/** Which cores a benchmark with `threads` threads keeps busy: the scheduler puts them on the fastest allowed cores. */
export function busyCoresFor(threads: number, allowed: number[], cores: CpuCore[]): number[] {
  const ranked = [...allowed].sort((a, b) => cores[b].maxFreqKhz - cores[a].maxFreqKhz || b - a)
  return ranked.slice(0, Math.max(1, Math.min(threads, ranked.length)))
}

export const IDLE_POWER_MW = 380
export const UNCORE_POWER_MW = 150
export const CORE_POWER_MW = { little: 180, big: 700 } as const
const INTERNAL_RESISTANCE_OHM = 0.12
const USB_CHARGE_CURRENT_UA = 1_200_000
const AMBIENT_C = 25

interface ThermalZoneSpec {
  type: string
  /** Steady-state rise per watt of phone power. */
  rThermalCPerW: number
  tauS: number
  /** Only the power of this cluster heats the zone (null = whole-phone power). */
  cluster: 'little' | 'big' | null
}

const THERMAL_ZONES: ThermalZoneSpec[] = [
  { type: 'cpu-big', rThermalCPerW: 14, tauS: 20, cluster: 'big' },
  { type: 'cpu-little', rThermalCPerW: 16, tauS: 20, cluster: 'little' },
  { type: 'battery', rThermalCPerW: 4, tauS: 240, cluster: null },
  { type: 'skin', rThermalCPerW: 6, tauS: 120, cluster: null }
]

export interface PowerModelOptions {
  cores: CpuCore[]
  seed: number
  capacityMah?: number
  startLevelPct?: number
  usbCharging?: boolean
  /** Clock in ms (tests may pass a fake one). */
  nowMs?: () => number
}

export interface BatterySnapshot {
  currentUa: number
  voltageUv: number
  capacityPct: number
  tempDeciC: number
  status: 'Charging' | 'Discharging' | 'Full'
  usbOnline: boolean
  powerMw: number
}

/** mulberry32: a small seeded PRNG so the noise is reproducible per phone. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class PowerModel {
  readonly cores: CpuCore[]
  private readonly random: () => number
  private readonly nowMs: () => number
  private readonly capacityUah: number
  private chargeUah: number
  private usbCharging: boolean
  private lastMs: number
  private readonly zoneTempsC: number[]
  /** Busy cores per running load (e.g. one per benchmark_model run). */
  private readonly loads = new Map<number, number[]>()
  private nextLoadId = 1
  /** Cumulative busy / idle time per core, for /proc/stat. */
  private readonly busyMs: number[]
  private readonly idleMs: number[]

  constructor(opts: PowerModelOptions) {
    this.cores = opts.cores
    this.random = seededRandom(opts.seed)
    this.nowMs = opts.nowMs ?? (() => Date.now())
    this.capacityUah = (opts.capacityMah ?? 4500) * 1000
    this.chargeUah = (this.capacityUah * (opts.startLevelPct ?? 80)) / 100
    this.usbCharging = opts.usbCharging ?? false
    this.lastMs = this.nowMs()
    this.zoneTempsC = THERMAL_ZONES.map((z) => AMBIENT_C + IDLE_POWER_MW / 1000 * z.rThermalCPerW * (z.cluster ? 0.3 : 1))
    // As if the phone had been up for an hour, 5% busy.
    this.busyMs = this.cores.map(() => 180_000)
    this.idleMs = this.cores.map(() => 3_420_000)
  }

  /** Marks cores busy until the returned function is called. */
  startLoad(busyCores: number[]): () => void {
    this.advance()
    const id = this.nextLoadId++
    this.loads.set(id, busyCores.filter((c) => c >= 0 && c < this.cores.length))
    return () => {
      this.advance()
      this.loads.delete(id)
    }
  }

  setUsbCharging(on: boolean): void {
    this.advance()
    this.usbCharging = on
  }

  get isUsbCharging(): boolean {
    return this.usbCharging
  }

  busyCores(): Set<number> {
    const busy = new Set<number>()
    for (const cores of this.loads.values()) for (const c of cores) busy.add(c)
    return busy
  }

  /** Phone power right now, without noise (mW). */
  powerMw(cluster: 'little' | 'big' | null = null): number {
    const busy = this.busyCores()
    let coresMw = 0
    for (const c of busy) if (cluster === null || this.cores[c].cluster === cluster) coresMw += CORE_POWER_MW[this.cores[c].cluster]
    if (cluster !== null) return coresMw + (IDLE_POWER_MW * 0.3) / 2
    return IDLE_POWER_MW + (busy.size > 0 ? UNCORE_POWER_MW : 0) + coresMw
  }

  battery(): BatterySnapshot {
    this.advance()
    const soc = this.chargeUah / this.capacityUah
    const powerMw = this.powerMw() * (1 + this.noise(0.015))
    const openCircuitV = 3.5 + 0.7 * soc
    // Solve V = Voc − I·R with I = P/V (discharge): V² − Voc·V + P·R = 0, take the larger root.
    const pW = powerMw / 1000
    const disc = Math.max(0, openCircuitV * openCircuitV - 4 * pW * INTERNAL_RESISTANCE_OHM)
    let voltageV = (openCircuitV + Math.sqrt(disc)) / 2
    let currentUa = -Math.round((pW / voltageV) * 1e6)
    const full = soc >= 0.999
    if (this.usbCharging) {
      const chargeUa = full ? 0 : USB_CHARGE_CURRENT_UA
      currentUa += chargeUa
      voltageV = openCircuitV + (chargeUa / 1e6) * INTERNAL_RESISTANCE_OHM
    }
    return {
      currentUa,
      voltageUv: Math.round(voltageV * 1e6),
      capacityPct: Math.max(0, Math.min(100, Math.round(soc * 100))),
      tempDeciC: Math.round(this.zoneTempsC[2] * 10 + this.noise(0.5)),
      status: this.usbCharging ? (full ? 'Full' : 'Charging') : 'Discharging',
      usbOnline: this.usbCharging,
      powerMw
    }
  }

  thermalZones(): Array<{ type: string; milliC: number }> {
    this.advance()
    return THERMAL_ZONES.map((z, i) => ({ type: z.type, milliC: Math.round((this.zoneTempsC[i] + this.noise(0.1)) * 1000) }))
  }

  /** Per-core cumulative [busyMs, idleMs] for /proc/stat. */
  cpuTimesMs(): Array<{ busyMs: number; idleMs: number }> {
    this.advance()
    return this.cores.map((_, i) => ({ busyMs: this.busyMs[i], idleMs: this.idleMs[i] }))
  }

  /** Integrates battery charge, temperatures and CPU times from the last update to now (power is constant in between). */
  private advance(): void {
    const now = this.nowMs()
    const dtMs = now - this.lastMs
    if (dtMs <= 0) return
    this.lastMs = now
    const dtS = dtMs / 1000
    const powerW = this.powerMw() / 1000
    const voltageV = 3.5 + 0.7 * (this.chargeUah / this.capacityUah)
    let netUa = -(powerW / voltageV) * 1e6
    if (this.usbCharging && this.chargeUah < this.capacityUah) netUa += USB_CHARGE_CURRENT_UA
    this.chargeUah = Math.max(0, Math.min(this.capacityUah, this.chargeUah + (netUa * dtS) / 3600))
    THERMAL_ZONES.forEach((z, i) => {
      const zonePowerW = this.powerMw(z.cluster) / 1000
      const targetC = AMBIENT_C + zonePowerW * z.rThermalCPerW
      this.zoneTempsC[i] = targetC + (this.zoneTempsC[i] - targetC) * Math.exp(-dtS / z.tauS)
    })
    const busy = this.busyCores()
    for (let c = 0; c < this.cores.length; c++) {
      if (busy.has(c)) this.busyMs[c] += dtMs
      else this.idleMs[c] += dtMs
    }
  }

  /** Uniform noise in ±relative·1 (a multiplier offset, or an absolute offset for temperatures). */
  private noise(amplitude: number): number {
    return (this.random() * 2 - 1) * amplitude
  }
}
