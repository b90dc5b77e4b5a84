// One-click Profile, as a first-time user without a phone meets it: the lab starts a virtual phone by itself, the
// person picks it, clicks Profile, and gets the lookup table, the heatmap and the predicted-vs-measured chart.
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

test('a virtual phone appears by itself, and one click on Profile fills the table and charts', async ({ page }) => {
  test.setTimeout(420_000)
  await page.goto(host.url)
  const phone = page.locator('[data-testid^="device-"][data-kind="virtual"][data-state="device"]').first()
  await expect(phone, 'the first-run virtual phone').toBeVisible({ timeout: 60_000 })
  await expect(phone.getByTestId('badge-modelled')).toBeVisible()
  await page.screenshot({ path: screenshotPath('devices-virtual-phone') })
  const serial = (await phone.getAttribute('data-testid'))!.replace(/^device-/, '')

  await page.getByTestId('nav-profile').click()
  await page.getByTestId(`pick-device-${serial}`).click()
  await page.getByTestId('space-small-fashion-mnist').click()
  await page.getByTestId('method-packed').click()
  await page.getByTestId('profile-settings').locator('summary').click()
  await page.getByTestId('setting-runs').fill('5')
  await page.getByTestId('setting-warmup').fill('1')
  await page.getByTestId('setting-check-networks').fill('4')
  await page.getByTestId('setting-rounds').fill('2')
  await page.getByTestId('start-profile').click()
  await expect(page.getByTestId('profile-progress')).toBeVisible()
  await expect(page.getByTestId('profile-blocks')).toContainText(/\d+\s*(of|\/)\s*\d+/, { timeout: 120_000 })
  await page.screenshot({ path: screenshotPath('profile-running') })

  const table = page.getByTestId('lut-table')
  await expect(table).toBeVisible({ timeout: 360_000 })
  // Every distinct block of the small space (and the fixed layers) has a row with a latency.
  const rows = table.locator('tbody tr')
  expect(await rows.count()).toBeGreaterThanOrEqual(30)
  await expect(page.getByTestId('lut-heatmap').locator('canvas').first()).toBeVisible()
  await expect(page.getByTestId('prediction-chart').locator('canvas').first()).toBeVisible()
  // The view scrolls inside its own pane, so shoot the window with the results in view.
  await page.getByTestId('lut-heatmap').scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('profile-heatmap') })
  await page.getByTestId('prediction-chart').scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('profile-prediction') })
  await table.scrollIntoViewIfNeeded()
  await page.screenshot({ path: screenshotPath('profile-table') })
  await page.getByTestId('lut-heatmap').scrollIntoViewIfNeeded()
  fs.mkdirSync(DOC_IMAGES, { recursive: true })
  await page.screenshot({ path: path.join(DOC_IMAGES, 'profile.png') })
})
