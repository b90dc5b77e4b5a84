// Chart colours follow the page theme: read from theme.css variables, read again when the theme changes.
import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { useThemeStore } from '../../stores/theme'

export interface ChartTheme {
  text: string
  textMuted: string
  border: string
  surface: string
  accent: string
  warn: string
  danger: string
  ok: string
  font: string
  /** One colour per run, readable on this theme's surface. */
  series: string[]
}

const LIGHT_SERIES = ['#2f5bd3', '#c2410c', '#15803d', '#9333ea', '#b91c1c', '#0e7490', '#a16207', '#be185d']
const DARK_SERIES = ['#7d9bff', '#fb923c', '#4ade80', '#c084fc', '#f87171', '#22d3ee', '#facc15', '#f472b6']

export const FALLBACK_THEME: ChartTheme = {
  text: '#1a1f26',
  textMuted: '#59636f',
  border: '#dfe3e8',
  surface: '#ffffff',
  accent: '#2f5bd3',
  warn: '#9a5b00',
  danger: '#b42318',
  ok: '#1d7f4e',
  font: 'system-ui, sans-serif',
  series: LIGHT_SERIES
}

function isDark(hex: string): boolean {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim())
  if (!m) return false
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x, 16))
  return 0.299 * r + 0.587 * g + 0.114 * b < 128
}

export function readChartTheme(): ChartTheme {
  if (typeof document === 'undefined') return FALLBACK_THEME
  const style = getComputedStyle(document.documentElement)
  const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  const surface = get('--surface', FALLBACK_THEME.surface)
  return {
    text: get('--text', FALLBACK_THEME.text),
    textMuted: get('--text-muted', FALLBACK_THEME.textMuted),
    border: get('--border', FALLBACK_THEME.border),
    surface,
    accent: get('--accent', FALLBACK_THEME.accent),
    warn: get('--warn', FALLBACK_THEME.warn),
    danger: get('--danger', FALLBACK_THEME.danger),
    ok: get('--ok', FALLBACK_THEME.ok),
    font: get('--font-sans', FALLBACK_THEME.font),
    series: isDark(surface) ? DARK_SERIES : LIGHT_SERIES
  }
}

export function useChartTheme(): Ref<ChartTheme> {
  const theme = useThemeStore()
  const current = ref<ChartTheme>(readChartTheme())
  watch(() => theme.choice, () => queueMicrotask(() => (current.value = readChartTheme())), { flush: 'post' })
  const media = typeof window !== 'undefined' ? window.matchMedia?.('(prefers-color-scheme: dark)') : undefined
  const onChange = () => (current.value = readChartTheme())
  media?.addEventListener('change', onChange)
  onScopeDispose(() => media?.removeEventListener('change', onChange))
  return current
}
