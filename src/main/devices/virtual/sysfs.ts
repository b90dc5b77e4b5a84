// Synthetic read-only files of the virtual phone (/proc, /sys), generated on each read from the power model.
import type { PowerModel } from './power'

export interface SyntheticFs {
  /** File contents, or null when the path is not a synthetic file. */
  read(devicePath: string): string | null
  /** Entry names of a synthetic directory, or null when the path is not one. */
  list(devicePath: string): string[] | null
  /** True for any path handled here (file or directory); such paths are read-only. */
  owns(devicePath: string): boolean
}

const SYNTHETIC_ROOTS = ['/proc', '/sys']

export function createSyntheticFs(power: PowerModel, opts: { totalMemKb?: number; bootMs?: number } = {}): SyntheticFs {
  const cores = power.cores
  const files = new Map<string, () => string>()
  const cpuRange = cores.length === 1 ? '0' : `0-${cores.length - 1}`

  files.set('/proc/cpuinfo', () =>
    cores
      .map(
        (c) =>
          `processor\t: ${c.index}\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n` +
          `CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x${c.cluster === 'big' ? '1' : '2'}\nCPU part\t: 0x${c.cluster === 'big' ? 'd41' : 'd05'}\nCPU revision\t: 0\n`
      )
      .join('\n') + '\nHardware\t: Proxyless Virtual SoC (modelled)\n'
  )
  files.set('/proc/stat', () => {
    const USER_HZ_PER_MS = 0.1 // 100 jiffies per second
    const times = power.cpuTimesMs()
    const line = (name: string, busyMs: number, idleMs: number): string => {
      const busy = Math.round(busyMs * USER_HZ_PER_MS)
      const idle = Math.round(idleMs * USER_HZ_PER_MS)
      const user = Math.round(busy * 0.85)
      return `${name} ${user} 0 ${busy - user} ${idle} 0 0 0 0 0 0`
    }
    const total = times.reduce((a, t) => ({ busyMs: a.busyMs + t.busyMs, idleMs: a.idleMs + t.idleMs }), { busyMs: 0, idleMs: 0 })
    return [line('cpu ', total.busyMs, total.idleMs), ...times.map((t, i) => line(`cpu${i}`, t.busyMs, t.idleMs)), 'intr 0', 'ctxt 0', 'btime 0', 'processes 1', 'procs_running 1', 'procs_blocked 0', ''].join('\n')
  })
  const bootMs = opts.bootMs ?? Date.now()
  files.set('/proc/uptime', () => {
    const upS = (Date.now() - bootMs) / 1000 + 3600 // as if booted an hour before the virtual phone started
    return `${upS.toFixed(2)} ${(upS * cores.length * 0.9).toFixed(2)}\n`
  })
  files.set('/proc/meminfo', () => {
    const total = opts.totalMemKb ?? 8 * 1024 * 1024
    return `MemTotal:       ${total} kB\nMemFree:        ${Math.round(total * 0.3)} kB\nMemAvailable:   ${Math.round(total * 0.55)} kB\n`
  })
  for (const name of ['possible', 'present', 'online']) files.set(`/sys/devices/system/cpu/${name}`, () => `${cpuRange}\n`)
  for (const c of cores) {
    const dir = `/sys/devices/system/cpu/cpu${c.index}/cpufreq`
    files.set(`${dir}/cpuinfo_max_freq`, () => `${c.maxFreqKhz}\n`)
    files.set(`${dir}/cpuinfo_min_freq`, () => `300000\n`)
    files.set(`${dir}/scaling_max_freq`, () => `${c.maxFreqKhz}\n`)
    files.set(`${dir}/scaling_cur_freq`, () => `${power.busyCores().has(c.index) ? c.maxFreqKhz : 300000}\n`)
    files.set(`${dir}/scaling_governor`, () => 'schedutil\n')
    files.set(`/sys/devices/system/cpu/cpu${c.index}/online`, () => '1\n')
  }
  const bat = '/sys/class/power_supply/battery'
  files.set(`${bat}/current_now`, () => `${power.battery().currentUa}\n`)
  files.set(`${bat}/voltage_now`, () => `${power.battery().voltageUv}\n`)
  files.set(`${bat}/capacity`, () => `${power.battery().capacityPct}\n`)
  files.set(`${bat}/temp`, () => `${power.battery().tempDeciC}\n`)
  files.set(`${bat}/status`, () => `${power.battery().status}\n`)
  files.set(`${bat}/present`, () => '1\n')
  files.set(`${bat}/technology`, () => 'Li-ion\n')
  files.set(`${bat}/type`, () => 'Battery\n')
  files.set('/sys/class/power_supply/usb/online', () => (power.isUsbCharging ? '1\n' : '0\n'))
  files.set('/sys/class/power_supply/usb/type', () => 'USB\n')
  power.thermalZones().forEach((zone, i) => {
    files.set(`/sys/class/thermal/thermal_zone${i}/type`, () => `${zone.type}\n`)
    files.set(`/sys/class/thermal/thermal_zone${i}/temp`, () => `${power.thermalZones()[i].milliC}\n`)
  })

  // Directories are every proper prefix of a file path.
  const dirs = new Map<string, Set<string>>()
  for (const file of files.keys()) {
    const parts = file.split('/').filter(Boolean)
    for (let i = 0; i < parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/')
      if (!dirs.has(dir)) dirs.set(dir, new Set())
      dirs.get(dir)!.add(parts[i])
    }
  }

  return {
    read: (p) => files.get(p)?.() ?? null,
    list: (p) => (p !== '/' && dirs.has(p) ? [...dirs.get(p)!].sort() : null),
    owns: (p) => SYNTHETIC_ROOTS.some((root) => p === root || p.startsWith(root + '/'))
  }
}
