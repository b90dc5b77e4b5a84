// Compare, end to end, as a person meets it from a fresh data folder: two virtual phones with different thread counts
// are added on Devices, both are profiled at once, a tiny search runs on each at once, Compare shows the two fronts
// with a hypervolume each, and a candidate of one phone's search is measured again on the other phone from its page.
// Everything goes through the window (clicks and typing), and the whole flow is timed.
import { expect, test, type Locator, type Page } from '@playwright/test'
import fs from 'node:fs'
import path from 'node:path'
import { DOC_IMAGES, screenshotPath, startHost, type RunningHost } from './lab-host'

let host: RunningHost

test.beforeAll(async () => {
  host = await startHost()
})

test.afterAll(async () => {
  await host?.stop()
})

const virtualCards = (page: Page): Locator => page.locator('[data-testid^="device-"][data-kind="virtual"]')

/** Devices → Options → name and threads → Add virtual phone; returns the serial of the card that shows it. */
async function addVirtualPhone(page: Page, name: string, threads: number): Promise<string> {
  const form = page.getByTestId('virtual-phone-form')
  if (!(await form.isVisible())) await page.getByRole('button', { name: 'Options' }).click()
  await page.getByTestId('virtual-phone-name').fill(name)
  await page.getByTestId('virtual-phone-threads').fill(String(threads))
  await page.getByTestId('add-virtual-phone').click()
  const card = virtualCards(page).filter({ hasText: `${name} · ${threads} ${threads === 1 ? 'thread' : 'threads'}` })
  await expect(card, `the card of ${name}`).toHaveAttribute('data-state', 'device', { timeout: 60_000 })
  return (await card.getAttribute('data-testid'))!.replace(/^device-/, '')
}

/** Clear the finished jobs from the tray, as a person does before looking at the results. */
async function clearFinishedJobs(page: Page): Promise<void> {
  const clear = page.getByTestId('tray').getByRole('button', { name: 'Clear finished' })
  if (await clear.isVisible()) await clear.click()
  await expect(page.getByTestId('tray')).toHaveCount(0)
}

/** The number in a cell such as "12.3" or "1,234.5". */
function numberIn(text: string): number {
  return Number(text.replace(/[,\s]/g, ''))
}

test('two phones, two profiles, two searches: Compare shows both fronts, and a candidate is measured on the other phone', async ({ page }) => {
  test.setTimeout(480_000)
  const t0 = Date.now()
  const lap = (what: string) => console.log(`[compare e2e] ${((Date.now() - t0) / 1000).toFixed(1)} s  ${what}`)

  // ---- Devices: the first-run phone appears by itself; two more are added with 1 and 2 threads ----
  await page.goto(host.url)
  await expect(page.getByTestId('view-devices')).toBeVisible()
  const firstRun = virtualCards(page).first()
  await expect(firstRun, 'the first-run virtual phone').toHaveAttribute('data-state', 'device', { timeout: 60_000 })
  const firstRunSerial = (await firstRun.getAttribute('data-testid'))!.replace(/^device-/, '')

  const a = await addVirtualPhone(page, 'phone-a', 1)
  const b = await addVirtualPhone(page, 'phone-b', 2)
  expect(a).not.toBe(b)
  // Two phones are enough: the first-run one is stopped from its card, so the lab holds exactly phone-a and phone-b.
  await page.getByTestId(`stop-virtual-${firstRunSerial}`).click()
  await expect(page.getByTestId(`device-${firstRunSerial}`)).toHaveCount(0, { timeout: 30_000 })
  await expect(virtualCards(page)).toHaveCount(2)
  const cardA = page.getByTestId(`device-${a}`)
  const cardB = page.getByTestId(`device-${b}`)
  await expect(cardA).toContainText('phone-a · 1 thread')
  await expect(cardB).toContainText('phone-b · 2 threads')
  // Each phone can be told apart by its name wherever the lab lists devices.
  await expect(cardA.locator('h2')).toContainText('phone-a')
  await expect(cardB.locator('h2')).toContainText('phone-b')
  await page.screenshot({ path: screenshotPath('compare-flow-devices') })
  lap('two virtual phones ready')

  // ---- Profile both phones at once: one queue per device ----
  await page.getByTestId('nav-profile').click()
  await expect(page.getByTestId('view-profile')).toBeVisible()
  await page.getByTestId('space-small-fashion-mnist').click()
  await page.getByTestId('method-packed').click()
  await page.getByTestId('profile-settings').locator('summary').click()
  await page.getByTestId('setting-runs').fill('3')
  await page.getByTestId('setting-warmup').fill('1')
  await page.getByTestId('setting-check-networks').fill('2')
  await page.getByTestId('setting-rounds').fill('1')
  for (const serial of [a, b]) {
    await page.getByTestId(`pick-device-${serial}`).click()
    await expect(page.getByTestId('profile-blocked-reason')).toHaveCount(0)
    await page.getByTestId('start-profile').click()
    await expect(page.getByTestId('profile-progress')).toBeVisible()
  }
  await page.screenshot({ path: screenshotPath('compare-flow-profiling') })
  for (const serial of [a, b]) {
    await page.getByTestId(`pick-device-${serial}`).click()
    await expect(page.getByTestId('lut-table'), `the lookup table of ${serial}`).toBeVisible({ timeout: 240_000 })
    expect(await page.getByTestId('lut-table').locator('tbody tr').count()).toBeGreaterThanOrEqual(30)
  }
  lap('both phones profiled')

  // ---- A tiny search on each phone, with its own table, one target, no baselines (fp32 + int8 = two points) ----
  await page.getByTestId('nav-search').click()
  await expect(page.getByTestId('view-search')).toBeVisible()
  await page.getByTestId('search-targets').fill('2')
  await page.getByTestId('search-settings').locator('summary').click()
  await page.getByTestId('setting-warmup-epochs').fill('1')
  await page.getByTestId('setting-search-epochs').fill('1')
  await page.getByTestId('setting-retrain-epochs').fill('1')
  await page.getByTestId('setting-train-images').fill('300')
  await page.getByTestId('setting-validation-images').fill('100')
  await page.getByTestId('setting-test-images').fill('200')
  await page.getByTestId('setting-baselines').uncheck()
  await page.getByTestId('setting-int8-images').fill('50')
  await page.getByTestId('setting-benchmark-runs').fill('3')
  const runOf: Record<string, string> = {}
  for (const serial of [a, b]) {
    await page.getByTestId(`pick-device-${serial}`).click()
    // The phone's own (and only) table is chosen, so the search does not measure the blocks again.
    await expect(page.getByTestId('search-table')).not.toHaveValue('')
    await expect(page.getByTestId('search-blocked-reason')).toHaveCount(0)
    const before = await page.getByTestId('search-run').locator('option').count().catch(() => 0)
    await page.getByTestId('start-search').click()
    await expect(page.getByTestId('search-run').locator('option')).toHaveCount(before + 1)
    await expect(page.getByTestId('search-progress')).toBeVisible()
    runOf[serial] = await page.getByTestId('search-run').inputValue()
  }
  expect(runOf[a]).not.toBe(runOf[b])
  await page.screenshot({ path: screenshotPath('compare-flow-searching') })
  for (const serial of [a, b]) {
    await page.getByTestId('search-run').selectOption(runOf[serial])
    await expect(page.getByTestId('search-progress'), `the search on ${serial}`).toContainText('Finished', { timeout: 240_000 })
    const results = page.getByTestId('search-results')
    await expect(results.locator('tbody tr')).toHaveCount(2) // the searched network at fp32 and int8
    for (const cell of await results.getByTestId('measured-latency').all()) await expect(cell).toHaveText(/^\s*\d+(\.\d+)?/)
  }
  lap('both searches finished')

  // ---- Compare: both runs chosen, two fronts, a hypervolume each ----
  await page.getByTestId('nav-compare').click()
  await expect(page.getByTestId('view-compare')).toBeVisible()
  for (const serial of [a, b]) {
    const box = page.getByTestId(`pick-run-${runOf[serial]}`).locator('input[type="checkbox"]')
    if (!(await box.isChecked())) await box.check()
    await expect(box).toBeChecked()
  }
  const runsTable = page.getByTestId('compare-runs')
  await expect(runsTable.locator('tbody tr')).toHaveCount(2, { timeout: 30_000 })
  for (const [serial, name] of [
    [a, 'phone-a'],
    [b, 'phone-b']
  ]) {
    const cell = page.getByTestId(`hypervolume-${runOf[serial]}`)
    await expect(cell).toHaveText(/\d/)
    const hv = numberIn(await cell.innerText())
    expect(hv, `the hypervolume of the run on ${name}`).toBeGreaterThan(0)
    const row = runsTable.locator('tbody tr').filter({ has: cell })
    await expect(row, 'the run is judged on its own phone').toContainText(name)
    await expect(row.locator('td').nth(1)).toHaveText(/^\s*2\s*$/) // two candidates, both measured
  }
  await expect(page.getByTestId('compare-chart').locator('canvas').first()).toBeVisible()
  await expect(page.getByTestId('compare-front-table').locator('tbody tr').first()).toBeVisible()
  await clearFinishedJobs(page)
  // A taller window for the pictures: the view scrolls in its own pane, so the window is what is shot.
  await page.setViewportSize({ width: 1280, height: 1100 })
  await expect(page.getByTestId('compare-chart').locator('canvas').first()).toBeVisible()
  await page.screenshot({ path: screenshotPath('compare-flow-fronts') })
  fs.mkdirSync(DOC_IMAGES, { recursive: true })
  await page.screenshot({ path: path.join(DOC_IMAGES, 'compare.png') })
  await runsTable.scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('compare-flow-runs-table') })
  lap('two fronts compared')

  // ---- A candidate of phone-a's search, measured again on phone-b from its page ----
  const frontRow = page.getByTestId('compare-front-table').locator('tbody tr').filter({ hasText: (await page.getByTestId(`pick-run-${runOf[a]}`).locator('.name').innerText()).trim() }).first()
  await frontRow.locator('th a').click()
  await expect(page.getByTestId('candidate-page')).toBeVisible()
  // The searched network is exported whole at fp32 and at int8; the page says which this one is.
  const title = (await page.getByTestId('candidate-page').locator('h1').innerText()).trim()
  await expect(page.getByTestId('candidate-precision')).toContainText(/int8$/.test(title) ? 'int8' : 'Float model')
  const perDevice = page.getByTestId('candidate-devices-table')
  await expect(perDevice.locator('tbody tr')).toHaveCount(1)
  await expect(page.getByTestId(`candidate-device-${a}`)).toBeVisible()
  await page.getByTestId('candidate-device').selectOption(b)
  await page.getByTestId('candidate-remeasure').click()
  await expect(page.getByTestId(`candidate-device-${b}`), 'the new measurement on phone-b').toBeVisible({ timeout: 120_000 })
  await expect(perDevice.locator('tbody tr')).toHaveCount(2)
  await expect(page.getByTestId(`candidate-device-${a}`)).toContainText('phone-a')
  await expect(page.getByTestId(`candidate-device-${b}`)).toContainText('phone-b')
  await expect(page.getByTestId(`candidate-device-${b}`).locator('td').first()).toHaveText(/\d/)
  await clearFinishedJobs(page)
  await page.setViewportSize({ width: 1280, height: 1500 })
  await page.getByTestId('candidate-page').locator('h1').scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('compare-flow-candidate') })
  await page.screenshot({ path: path.join(DOC_IMAGES, 'candidate.png') })
  lap('candidate measured on the other phone')

  const seconds = (Date.now() - t0) / 1000
  console.log(`[compare e2e] the whole flow took ${seconds.toFixed(1)} s (${(seconds / 60).toFixed(2)} min)`)
  expect(seconds, 'the whole flow runs in under 5 minutes').toBeLessThan(300)
})
