// The chart palette follows the page theme: read from the CSS variables, read again when the theme changes.
import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { FALLBACK_PALETTE, type ChartPalette } from './charts'
import { useThemeStore } from '../stores/theme'

const VARIABLES: Record<keyof ChartPalette, string> = {
  text: '--text',
  textMuted: '--text-muted',
  border: '--border',
  surface: '--surface',
  surface2: '--surface-2',
  accent: '--accent',
  accentSoft: '--accent-soft',
  ok: '--ok',
  warn: '--warn',
  danger: '--danger',
  font: '--font-sans'
}

export function readPalette(): ChartPalette {
  const style = getComputedStyle(document.documentElement)
  const palette = { ...FALLBACK_PALETTE }
  for (const key of Object.keys(VARIABLES) as (keyof ChartPalette)[]) {
    const value = style.getPropertyValue(VARIABLES[key]).trim()
    if (value) palette[key] = value
  }
  return palette
}

/** The current palette; changes when the person picks a theme, or the system does while "Match system" is on. */
export function useChartPalette(): Ref<ChartPalette> {
  const theme = useThemeStore()
  const palette = ref<ChartPalette>(readPalette())
  // The theme store sets data-theme in a watcher; read after it has run.
  watch(() => theme.choice, () => queueMicrotask(() => (palette.value = readPalette())), { flush: 'post' })
  const media = window.matchMedia?.('(prefers-color-scheme: dark)')
  const onSystemChange = () => (palette.value = readPalette())
  media?.addEventListener('change', onSystemChange)
  onScopeDispose(() => media?.removeEventListener('change', onSystemChange))
  return palette
}
