// The devices registry: every target the lab can measure on, and live add/change/remove events.
// "This computer" (the host TFLite runtime) is always present; adb devices come and go with the tracker.
import os from 'node:os'
import type { DeviceInfo } from '../../shared/api'
import { LabError } from '../../shared/api'
import type { LabEvents } from '../events'

export const HOST_SERIAL = 'host'

export function hostDeviceInfo(): DeviceInfo {
  const cpus = os.cpus()
  const maxFreqKhz = cpus.length > 0 && cpus[0].speed > 0 ? cpus[0].speed * 1000 : null
  return {
    serial: HOST_SERIAL,
    kind: 'host',
    state: 'device',
    stateHint: null,
    label: 'This computer',
    adbServer: null,
    model: cpus[0]?.model?.trim() || os.hostname(),
    manufacturer: null,
    soc: cpus[0]?.model?.trim() ?? null,
    board: null,
    abis: [os.arch()],
    cpuClusters: [{ cores: cpus.map((_, i) => i), maxFreqKhz }],
    androidVersion: null,
    sdk: null,
    batteryLevelPct: null,
    batteryTempC: null,
    chargingSource: null,
    thermalZonesC: {},
    wirelessAdb: false,
    modelled: false
  }
}

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceInfo>()

  constructor(private readonly events: LabEvents) {
    this.devices.set(HOST_SERIAL, hostDeviceInfo())
  }

  list(): DeviceInfo[] {
    return [...this.devices.values()]
  }

  get(serial: string): DeviceInfo {
    const device = this.devices.get(serial)
    if (!device) {
      throw new LabError('not_found', `No device with serial "${serial}" is connected. Plug it in (or start a virtual phone) and check Devices.`)
    }
    return device
  }

  has(serial: string): boolean {
    return this.devices.has(serial)
  }

  /** Add or update a device; emits device.added or device.changed. */
  upsert(device: DeviceInfo): void {
    const existed = this.devices.has(device.serial)
    this.devices.set(device.serial, device)
    this.events.emit(existed ? { type: 'device.changed', device } : { type: 'device.added', device })
  }

  remove(serial: string): void {
    if (serial === HOST_SERIAL) return
    if (this.devices.delete(serial)) this.events.emit({ type: 'device.removed', serial })
  }
}
