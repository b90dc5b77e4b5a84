// Targets the lab can measure on: this computer, phones over adb, virtual phones; kept live by device.* events.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { DeviceInfo, LabEvent } from '../../../shared/api'
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

  function applyEvent(event: LabEvent): void {
    if (event.type === 'device.added' || event.type === 'device.changed') {
      bySerial.value = { ...bySerial.value, [event.device.serial]: event.device }
    } else if (event.type === 'device.removed') {
      const { [event.serial]: _gone, ...rest } = bySerial.value
      bySerial.value = rest
    }
  }

  function select(serial: string | null): void {
    selectedSerial.value = serial
  }

  return { bySerial, loaded, loading, loadError, selectedSerial, list, phones, selected, refresh, applyEvent, select }
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
