// Light, dark, or follow the system; the choice is kept in localStorage.
import { defineStore } from 'pinia'
import { ref, watchEffect } from 'vue'

export type ThemeChoice = 'system' | 'light' | 'dark'
const THEME_KEY = 'proxyless-lab.theme'

function readChoice(): ThemeChoice {
  try {
    const saved = window.localStorage.getItem(THEME_KEY)
    return saved === 'light' || saved === 'dark' ? saved : 'system'
  } catch {
    return 'system'
  }
}

export const useThemeStore = defineStore('theme', () => {
  const choice = ref<ThemeChoice>(readChoice())

  watchEffect(() => {
    const root = document.documentElement
    if (choice.value === 'system') root.removeAttribute('data-theme')
    else root.setAttribute('data-theme', choice.value)
    try {
      if (choice.value === 'system') window.localStorage.removeItem(THEME_KEY)
      else window.localStorage.setItem(THEME_KEY, choice.value)
    } catch {
      // storage disabled: the choice lasts for this page only
    }
  })

  function choose(next: ThemeChoice): void {
    choice.value = next
  }

  return { choice, choose }
})
