// Targets the lab can measure on: this computer, phones over adb, virtual phones; kept live by device.* events.
// Also the adb servers the lab talks to, and the virtual phones it started.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { DeviceInfo, DevicesStatus, LabEvent, VirtualPhoneInfo } from '../../../shared/api'
import { errorSentence, useLabStore } from './lab'

const KIND_ORDER: Record<DeviceInfo['kind'], number> = { host: 0, adb: 1, virtual: 2 }

export const useDevicesStore = defineStore('devices', () => {
  const lab = useLabStore()
  const bySerial = ref<Record<string, DeviceInfo>>({})
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)
  /** The device the Profile view acts on. */
  const selectedSerial = ref<string | null>(null)

  const list = computed(() =>
    Object.values(bySerial.value).sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.label.localeCompare(b.label))
  )
  const phones = computed(() => list.value.filter((d) => d.kind !== 'host'))
  const selected = computed(() => (selectedSerial.value ? (bySerial.value[selectedSerial.value] ?? null) : null))

  /** adb servers and whether adb works at all. */
  const status = ref<DevicesStatus | null>(null)
  const statusError = ref<string | null>(null)
  const virtualPhones = ref<VirtualPhoneInfo[]>([])
  /** Serials with a refresh or stop in flight. */
  const busy = ref<Record<string, 'refreshing' | 'stopping'>>({})
  /** Last failed card action per serial, as a sentence. */
  const cardErrors = ref<Record<string, string>>({})
  const startingVirtual = ref(false)
  const virtualError = ref<string | null>(null)
  const serverBusy = ref(false)
  const serverError = ref<string | null>(null)

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      const devices = await lab.call('devices.list', {})
      bySerial.value = Object.fromEntries(devices.map((d) => [d.serial, d]))
      loadError.value = null
      loaded.value = true
    } catch (e) {
      loadError.value = errorSentence(e)
    } finally {
      loading.value = false
    }
  }

  async function refreshStatus(): Promise<void> {
    try {
      const [next, phones] = await Promise.all([lab.call('devices.status', {}), lab.call('virtualPhones.list', {})])
      status.value = next
      virtualPhones.value = phones
      statusError.value = null
    } catch (e) {
      statusError.value = errorSentence(e)
    }
  }

  function applyEvent(event: LabEvent): void {
    if (event.type === 'device.added' || event.type === 'device.changed') {
      bySerial.value = { ...bySerial.value, [event.device.serial]: event.device }
    } else if (event.type === 'device.removed') {
      const { [event.serial]: _gone, ...rest } = bySerial.value
      bySerial.value = rest
    }
    // A phone appearing or leaving may come with a server that went up or down.
    if (event.type === 'device.added' || event.type === 'device.removed') void refreshStatus()
  }

  function setBusy(serial: string, what: 'refreshing' | 'stopping' | null): void {
    const { [serial]: _old, ...rest } = busy.value
    busy.value = what ? { ...rest, [serial]: what } : rest
  }

  async function cardAction(serial: string, what: 'refreshing' | 'stopping', action: () => Promise<void>): Promise<void> {
    setBusy(serial, what)
    const { [serial]: _old, ...otherErrors } = cardErrors.value
    cardErrors.value = otherErrors
    try {
      await action()
    } catch (e) {
      cardErrors.value = { ...cardErrors.value, [serial]: errorSentence(e) }
    } finally {
      setBusy(serial, null)
    }
  }

  /** Reads one device's card again (battery, temperatures, state). */
  function refreshDevice(serial: string): Promise<void> {
    return cardAction(serial, 'refreshing', async () => {
      const device = await lab.call('devices.refresh', { serial })
      bySerial.value = { ...bySerial.value, [device.serial]: device }
    })
  }

  function stopVirtualPhone(serial: string): Promise<void> {
    return cardAction(serial, 'stopping', async () => {
      virtualPhones.value = await lab.call('virtualPhones.stop', { serial })
      if (selectedSerial.value === serial) selectedSerial.value = null
    })
  }

  /** Starts a virtual phone; returns its serial, or null when it failed (the sentence is in virtualError). */
  async function startVirtualPhone(options: { name?: string; threads?: number }): Promise<string | null> {
    startingVirtual.value = true
    virtualError.value = null
    try {
      const phone = await lab.call('virtualPhones.start', options)
      virtualPhones.value = [...virtualPhones.value.filter((p) => p.serial !== phone.serial), phone]
      return phone.serial
    } catch (e) {
      virtualError.value = errorSentence(e)
      return null
    } finally {
      startingVirtual.value = false
    }
  }

  async function changeServer(method: 'devices.addServer' | 'devices.removeServer', address: string): Promise<boolean> {
    serverBusy.value = true
    serverError.value = null
    try {
      status.value = await lab.call(method, { address })
      return true
    } catch (e) {
      serverError.value = errorSentence(e)
      return false
    } finally {
      serverBusy.value = false
    }
  }
  const addServer = (address: string) => changeServer('devices.addServer', address.trim())
  const removeServer = (address: string) => changeServer('devices.removeServer', address)

  function virtualPhoneOf(serial: string): VirtualPhoneInfo | null {
    return virtualPhones.value.find((p) => p.serial === serial) ?? null
  }

  function select(serial: string | null): void {
    selectedSerial.value = serial
  }

  return {
    bySerial,
    loaded,
    loading,
    loadError,
    selectedSerial,
    list,
    phones,
    selected,
    status,
    statusError,
    virtualPhones,
    busy,
    cardErrors,
    startingVirtual,
    virtualError,
    serverBusy,
    serverError,
    refresh,
    refreshStatus,
    applyEvent,
    select,
    refreshDevice,
    stopVirtualPhone,
    startVirtualPhone,
    addServer,
    removeServer,
    virtualPhoneOf
  }
})

/** Why a device cannot be measured right now, or null when it can. */
export function deviceNotReadyReason(device: DeviceInfo): string | null {
  if (device.state === 'device') return null
  if (device.stateHint) return device.stateHint
  switch (device.state) {
    case 'unauthorized':
      return 'Unlock the phone and accept the USB debugging prompt.'
    case 'offline':
      return 'The phone is offline: reconnect the cable or restart USB debugging.'
    case 'connecting':
      return 'The lab is still connecting to this phone.'
    case 'no permissions':
      return 'This computer has no permission to use the phone over USB; check the udev rules.'
    default:
      return 'The phone is not ready; reconnect it.'
  }
}

/** Whether energy read on this device should be distrusted because USB is charging it. */
export function isUsbCharging(device: DeviceInfo): boolean {
  return device.kind === 'adb' && device.chargingSource === 'usb'
}

/** adb server addresses as the person typed them: 'host:port', with a port in range. Null when fine, else why not. */
export function adbAddressProblem(text: string): string | null {
  const t = text.trim()
  if (t === '') return 'Type the server as host:port, e.g. 192.168.1.20:5037.'
  const m = /^([A-Za-z0-9.\-_[\]:]+):(\d{1,5})$/.exec(t)
  if (!m) return 'Use host:port, e.g. 192.168.1.20:5037 or farm.example.org:5037.'
  const port = Number(m[2])
  if (port < 1 || port > 65535) return 'The port must be between 1 and 65535.'
  return null
}
