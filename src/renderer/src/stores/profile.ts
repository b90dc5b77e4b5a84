// What the Profile view needs to decide: which device, and whether profiling can start on it.
import { defineStore } from 'pinia'
import { computed } from 'vue'
import { deviceNotReadyReason, useDevicesStore } from './devices'
import { useLabStore } from './lab'

export const useProfileStore = defineStore('profile', () => {
  const lab = useLabStore()
  const devices = useDevicesStore()

  /** Null when Profile may be clicked; otherwise the sentence shown next to the disabled button. */
  const blockedReason = computed<string | null>(() => {
    if (!lab.isOpen) return 'The page is not connected to the lab host.'
    const device = devices.selected
    if (!device) return devices.list.length === 0 ? 'No device is known yet.' : 'Choose a device first.'
    const notReady = deviceNotReadyReason(device)
    if (notReady) return notReady
    // The profiling capability adds its LabApi method; until this host offers it, say so plainly.
    return 'This lab host does not offer profiling yet.'
  })

  return { blockedReason }
})
