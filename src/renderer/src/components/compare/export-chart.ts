// Chart images: PNG from the chart on screen, SVG from an offscreen SVG-rendered twin of the same option.
import { init } from 'echarts/core'
import './echarts-setup'

type Option = Record<string, unknown>

export function chartSvg(option: Option, width: number, height: number): string {
  const host = document.createElement('div')
  host.style.cssText = `position:fixed;left:-10000px;top:0;width:${width}px;height:${height}px`
  document.body.appendChild(host)
  const chart = init(host, null, { renderer: 'svg', width, height })
  try {
    chart.setOption({ ...option, animation: false, dataZoom: [] })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
    host.remove()
  }
}
