// A first search, as a person without a phone or a profile meets it: the lab's virtual phone appears by itself, the
// person picks it on Search, sets a tiny search (the blocks are measured first, one target, no baselines), starts it,
// watches the curves and op probabilities grow, and gets the derived network and its candidates measured on the
// phone; a reload shows the same run from what the lab recorded.
import { expect, test } from '@playwright/test'
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

test('a tiny search on the virtual phone shows live curves, the derived blocks and measured candidates', async ({ page }) => {
  test.setTimeout(300_000)
  await page.goto(host.url)
  const phone = page.locator('[data-testid^="device-"][data-kind="virtual"][data-state="device"]').first()
  await expect(phone, 'the first-run virtual phone').toBeVisible({ timeout: 60_000 })
  const serial = (await phone.getAttribute('data-testid'))!.replace(/^device-/, '')

  await page.getByTestId('nav-search').click()
  await expect(page.getByTestId('view-search')).toBeVisible()
  await page.getByTestId(`pick-device-${serial}`).click()
  // No profile yet: the view says the search will measure the blocks itself, and offers Profile.
  await expect(page.getByTestId('search-no-table')).toBeVisible()
  await expect(page.getByTestId('search-table')).toHaveValue('')

  // A sentence for a bad target, and Start stays off until it is fixed.
  await page.getByTestId('search-targets').fill('fast')
  await expect(page.getByText('“fast” is not a number')).toBeVisible()
  await expect(page.getByTestId('start-search')).toBeDisabled()
  await page.getByTestId('search-targets').fill('2')

  await page.getByTestId('search-settings').locator('summary').click()
  await page.getByTestId('setting-warmup-epochs').fill('1')
  await page.getByTestId('setting-search-epochs').fill('1')
  await page.getByTestId('setting-retrain-epochs').fill('1')
  // 960 images = 15 steps of 64: α is updated every 5 steps, so the probabilities move a little.
  await page.getByTestId('setting-train-images').fill('960')
  await page.getByTestId('setting-validation-images').fill('100')
  await page.getByTestId('setting-test-images').fill('200')
  await page.getByTestId('setting-baselines').uncheck()
  await page.getByTestId('setting-int8-images').fill('50')
  await page.getByTestId('setting-benchmark-runs').fill('3')
  await expect(page.getByTestId('search-blocked-reason')).toHaveCount(0)
  await page.getByTestId('start-search').click()

  await expect(page.getByTestId('search-progress')).toBeVisible()
  await expect(page.getByTestId('search-run')).toBeVisible()
  // Live curves and probabilities while it trains.
  await expect(page.getByTestId('search-training-chart').locator('canvas').first()).toBeVisible({ timeout: 150_000 })
  await expect(page.getByTestId('search-probabilities-chart').locator('canvas').first()).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('search-cost-chart').locator('canvas').first()).toBeVisible()
  await page.screenshot({ path: screenshotPath('search-running') })

  // The derived network as a row of blocks, then its candidates measured on the phone.
  const derived = page.locator('[data-testid^="derived-blocks-"]').first()
  await expect(derived).toBeVisible({ timeout: 120_000 })
  expect(await derived.locator('[role="listitem"]').count()).toBe(7)
  const results = page.getByTestId('search-results')
  await expect(results.getByTestId('measured-latency').first()).toHaveText(/^\s*\d+(\.\d+)?/, { timeout: 150_000 })
  await expect(page.getByTestId('search-progress')).toContainText(/Finished|Done/, { timeout: 60_000 })
  await expect(results.locator('tbody tr')).toHaveCount(2) // the searched network at fp32 and int8
  for (const cell of await results.getByTestId('measured-latency').all()) await expect(cell).toHaveText(/^\s*\d+(\.\d+)?/)
  await expect(page.getByTestId('search-compare-link')).toHaveAttribute('href', /compare\?runs=/)

  await page.getByTestId('search-charts').scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('search-charts') })
  await results.scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('search-results') })

  // Nothing is lost on reload: the run, its curves, probabilities, derived blocks and candidates come back.
  await page.reload()
  await expect(page.getByTestId('view-search')).toBeVisible()
  await expect(page.getByTestId('search-training-chart').locator('canvas').first()).toBeVisible({ timeout: 30_000 })
  await expect(page.getByTestId('search-probabilities-chart').locator('canvas').first()).toBeVisible()
  await expect(page.locator('[data-testid^="derived-blocks-"]').first()).toBeVisible()
  await expect(page.getByTestId('search-results').locator('tbody tr')).toHaveCount(2)
  await page.getByTestId('search-charts').scrollIntoViewIfNeeded()
  fs.mkdirSync(DOC_IMAGES, { recursive: true })
  await page.screenshot({ path: path.join(DOC_IMAGES, 'search.png') })

  // Fits a small window without sideways scrolling.
  await page.setViewportSize({ width: 1024, height: 700 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow, 'the page is wider than the window').toBeLessThanOrEqual(0)
  await page.screenshot({ path: screenshotPath('search-1024') })
  // The charts follow a dark system theme.
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.getByTestId('search-probabilities-chart').scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('search-dark') })
  await page.emulateMedia({ colorScheme: 'light' })

  // A candidate opens its own page, with the same blocks.
  await page.getByTestId('search-results').locator('tbody tr th a').first().click()
  await expect(page.getByTestId('candidate-page')).toBeVisible()
  await expect(page.getByTestId('architecture-blocks').locator('[role="listitem"]')).toHaveCount(7)
})
