/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The HTML report opens in Chromium with its charts drawn (SVG points and step lines present) and asks for nothing
// over the network: every request the page makes is recorded, and only the report itself may appear.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeFronts } from '../../../src/main/compare/fronts'
import { storeDeviceLookup } from '../../../src/main/compare/candidates'
import { renderReport } from '../../../src/main/compare/report'
import { seedSyntheticRun, syntheticDevice } from '../../../src/main/compare/synthetic'
import { openStore, type Store } from '../../../src/main/store'

let tmp: string
let store: Store
let browser: Browser

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-report-'))
  store = openStore(path.join(tmp, 'data'))
  store.upsertDevice(syntheticDevice('phone-a', 'Pixel <A> & "co"'))
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
})
afterAll(async () => {
  await browser?.close()
  store?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('HTML report', () => {
  it('draws every point and each front in inline SVG, with no network request', async () => {
    const a = seedSyntheticRun(store, { name: 'Search <A>', serial: 'phone-a', candidates: 50, seed: 1 })
    const b = seedSyntheticRun(store, { name: 'Search B', serial: 'phone-a', candidates: 30, seed: 2, speed: 1.5 })
    const fronts = computeFronts(store, { runIds: [a.id, b.id], objective: 'latency', xAxis: 'measured' }, storeDeviceLookup(store))
    const html = renderReport(fronts, { title: 'Comparison <test>' })
    const file = path.join(tmp, 'report.html')
    fs.writeFileSync(file, html)

    const page = await browser.newPage()
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(`file://${file}`)
    const drawn = await page.evaluate(() => {
      const chart = document.querySelector('svg[data-chart="fronts"]') as SVGSVGElement
      const box = chart.getBoundingClientRect()
      return {
        title: document.title,
        width: box.width,
        points: chart.querySelectorAll('circle.point').length,
        frontPoints: chart.querySelectorAll('circle.front-point').length,
        steps: [...chart.querySelectorAll('path.step')].map((p) => (p as SVGPathElement).getTotalLength()),
        // every point lies inside the chart's box
        inside: [...chart.querySelectorAll('circle.point')].every((c) => {
          const r = c.getBoundingClientRect()
          return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1
        }),
        prediction: document.querySelectorAll('svg[data-chart="prediction"] circle.point').length,
        rows: document.querySelectorAll('table.runs tbody tr').length,
        attainment: document.querySelectorAll('table.attainment tbody tr').length
      }
    })
    await page.close()
    expect(drawn.title).toBe('Comparison <test>')
    expect(drawn.width).toBeGreaterThan(300)
    expect(drawn.points).toBe(80)
    expect(drawn.frontPoints).toBe(fronts.runs[0].front.length + fronts.runs[1].front.length)
    expect(drawn.steps).toHaveLength(2)
    expect(drawn.steps.every((len) => len > 50)).toBe(true)
    expect(drawn.inside).toBe(true)
    expect(drawn.prediction).toBe(80)
    expect(drawn.rows).toBe(2)
    expect(drawn.attainment).toBe(1)
    expect(requests).toEqual([`file://${file}`])
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
  })
})
