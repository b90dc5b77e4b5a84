// The Compare view with 10,000 candidates: the built renderer in Chromium against a real lab host whose data folder
// is seeded with two searches of 5,000 candidates each (measured on two phones). Prints the lab's time to compute the
// fronts, the page's time to first render of the chart, and frames per second while panning the chart by drag.
// Run: npx tsx bench/compare-view.ts   (CANDIDATES=20000 for more)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { computeFronts } from '../src/main/compare/fronts'
import { storeDeviceLookup } from '../src/main/compare/candidates'
import { seedSyntheticRun, syntheticDevice } from '../src/main/compare/synthetic'
import { openStore } from '../src/main/store'
import { startHost } from '../test/e2e/lab-host'

const TOTAL = Number(process.env.CANDIDATES ?? 10_000)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'))
  // No first-run virtual phone: it would compete for the two cores.
  fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ autoVirtualPhone: false }))
  const t0 = performance.now()
  const store = openStore(dataDir)
  store.upsertDevice(syntheticDevice('bench-a', 'Pixel 7'))
  store.upsertDevice(syntheticDevice('bench-b', 'Galaxy A52'))
  const a = seedSyntheticRun(store, { name: 'Search on Pixel 7', serial: 'bench-a', candidates: TOTAL / 2, seed: 1, alsoOn: [{ serial: 'bench-b', speed: 1.8 }] })
  const b = seedSyntheticRun(store, { name: 'Search on Galaxy A52', serial: 'bench-b', candidates: TOTAL / 2, seed: 2, speed: 1.8 })
  const seedMs = performance.now() - t0
  const apiTimes: number[] = []
  for (let i = 0; i < 5; i++) {
    const s = performance.now()
    computeFronts(store, { runIds: [a.id, b.id], objective: 'latency', xAxis: 'measured' }, storeDeviceLookup(store))
    apiTimes.push(performance.now() - s)
  }
  store.close()

  const host = await startHost({ dataDir })
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const base = host.url.replace(/#.*$/, '')
    await page.goto(`${base}#/devices`)
    await page.waitForSelector('nav')
    const renders: number[] = []
    for (let i = 0; i < 3; i++) {
      await page.evaluate(() => (location.hash = '#/runs'))
      await page.waitForSelector('[data-testid="view-runs"]')
      // A string, not a function: tsx would wrap named functions in a helper the page does not have.
      const ms = (await page.evaluate(`(async () => {
        const start = performance.now()
        location.hash = '#/compare?runs=${a.id},${b.id}'
        // until the hypervolume is shown (fronts computed, chart mounted), then two frames for the paint
        await new Promise((resolve) => {
          const tick = () => (document.querySelector('[data-testid^="hypervolume-"]') && document.querySelector('[data-testid="compare-chart"] canvas') ? resolve() : requestAnimationFrame(tick))
          tick()
        })
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
        return performance.now() - start
      })()`)) as number
      renders.push(ms)
    }

    // Pan: drag across the plot for ~2 s while counting animation frames.
    const canvas = page.locator('[data-testid="compare-chart"] canvas').first()
    const box = (await canvas.boundingBox())!
    await page.evaluate(`(() => {
      window.__frames = []
      window.__counting = true
      const loop = (t) => {
        window.__frames.push(t)
        if (window.__counting) requestAnimationFrame(loop)
      }
      requestAnimationFrame(loop)
    })()`)
    const cx = box.x + box.width / 2
    const cy = box.y + box.height / 2
    const started = Date.now()
    const panStart = performance.now()
    let moves = 0
    while (Date.now() - started < 2000) {
      await page.mouse.move(cx - 150, cy)
      await page.mouse.down()
      for (let k = 0; k < 30; k++) {
        await page.mouse.move(cx - 150 + k * 10, cy + ((k % 10) - 5) * 3)
        moves++
      }
      await page.mouse.up()
    }
    const panMs = performance.now() - panStart
    const frames = (await page.evaluate(`(() => { window.__counting = false; return window.__frames })()`)) as number[]
    const spanS = (frames[frames.length - 1] - frames[0]) / 1000
    const gaps = frames.slice(1).map((t, i) => t - frames[i])
    const fps = (frames.length - 1) / spanS

    const panS = panMs / 1000
    console.log(`Compare view, ${TOTAL.toLocaleString('en')} candidates in 2 runs (Chromium headless, software rendering, ${os.cpus().length} cores)`)
    console.log(`  seeding the data folder                 ${seedMs.toFixed(0)} ms`)
    console.log(`  compare.fronts in the lab (median of 5) ${median(apiTimes).toFixed(0)} ms   (${apiTimes.map((t) => t.toFixed(0)).join(', ')})`)
    console.log(`  first render, cold                      ${renders[0].toFixed(0)} ms   (navigation to chart painted: API call over WebSocket + chart)`)
    console.log(`  render on return, fronts kept           ${median(renders.slice(1)).toFixed(0)} ms   (${renders.slice(1).map((t) => t.toFixed(0)).join(', ')}; chart only)`)
    console.log(`  panning by drag                         ${(moves / panS).toFixed(1)} pan updates/s (${moves} drag moves in ${panS.toFixed(1)} s, each answered before the next)`)
    console.log(`  page frames while panning               ${fps.toFixed(1)} frames/s; median frame ${median(gaps).toFixed(1)} ms, worst ${Math.max(...gaps).toFixed(0)} ms`)
  } finally {
    await browser.close()
    await host.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

void main()
