// Browser mode end to end: the real lab host, Debian's Chromium, every view, the demo job, cancel, and the token.
import { expect, test, type Page } from '@playwright/test'
import fs from 'node:fs'
import path from 'node:path'
import { DOC_IMAGES, screenshotPath, startHost, type RunningHost } from './lab-host'

const VIEWS = ['devices', 'profile', 'search', 'quantize', 'runs', 'compare'] as const

let host: RunningHost

test.beforeAll(async () => {
  host = await startHost()
})

test.afterAll(async () => {
  await host?.stop()
})

async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow, 'the page is wider than the window').toBeLessThanOrEqual(0)
}

test('every view opens from the navigation with a finished empty state', async ({ page }) => {
  await page.goto(host.url)
  await expect(page.getByTestId('view-devices')).toBeVisible()
  // The token leaves the address bar once the page has it.
  expect(page.url()).not.toContain('token=')
  for (const view of VIEWS) {
    await page.getByTestId(`nav-${view}`).click()
    const root = page.getByTestId(`view-${view}`)
    await expect(root).toBeVisible()
    await expect(page.getByTestId(`nav-${view}`)).toHaveAttribute('aria-current', 'page')
    const text = (await root.innerText()).toLowerCase()
    for (const unfinished of ['todo', 'lorem', 'coming soon', 'placeholder', 'undefined', 'null', '[object object]']) {
      expect(text, `view ${view} shows "${unfinished}"`).not.toContain(unfinished)
    }
    await expectNoHorizontalOverflow(page)
    await page.screenshot({ path: screenshotPath(`view-${view}`), fullPage: true })
  }
  // "This computer" is always a target.
  await page.getByTestId('nav-devices').click()
  await expect(page.getByTestId('view-devices')).toContainText('This computer')
  fs.mkdirSync(DOC_IMAGES, { recursive: true })
  await page.screenshot({ path: path.join(DOC_IMAGES, 'devices.png') })
})

test('views fit a small window and the keyboard reaches the navigation', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 })
  await page.goto(host.url)
  await expect(page.getByTestId('view-devices')).toBeVisible()
  for (const view of VIEWS) {
    await page.getByTestId(`nav-${view}`).click()
    await expectNoHorizontalOverflow(page)
  }
  // After a reload (the tab keeps its token), the first Tab lands on the skip link.
  await page.reload()
  await expect(page.getByTestId('view-compare')).toBeVisible()
  await page.keyboard.press('Tab')
  const first = await page.evaluate(() => document.activeElement?.textContent?.trim().toLowerCase() ?? '')
  expect(first).toContain('skip')
})

test('a demo job shows progress and time left in the job tray, and cancel stops it', async ({ page }) => {
  await page.goto(host.url)
  await page.getByTestId('nav-runs').click()
  await page.getByTestId('start-demo-job').click()
  const item = page.locator('[data-testid^="job-"][data-state]').first()
  await expect(item).toHaveAttribute('data-state', 'running')
  const bar = item.getByRole('progressbar')
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 20_000 }).toBeGreaterThan(0)
  await expect(item).toContainText(/\d+ (s|min)( \d+ s)? left/)
  await page.screenshot({ path: screenshotPath('job-tray-running') })
  const id = (await item.getAttribute('data-testid'))!.replace(/^job-/, '')
  await page.getByTestId(`cancel-job-${id}`).click()
  await expect(item).toHaveAttribute('data-state', 'cancelled')
  await page.screenshot({ path: screenshotPath('job-tray-cancelled') })
})

test('dark theme', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.goto(host.url)
  await expect(page.getByTestId('view-devices')).toBeVisible()
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
  const [r, g, b] = bg.match(/\d+/g)!.map(Number)
  expect(r + g + b, `dark theme background is ${bg}`).toBeLessThan(200)
  await page.screenshot({ path: screenshotPath('view-devices-dark') })
})

test('without the token the page explains what to do, and the API refuses it', async ({ page }) => {
  await page.goto(host.origin + '/')
  await expect(page.locator('body')).toContainText(/link|token/i)
  const refused = await page.evaluate(async (origin) => {
    return new Promise<string>((resolve) => {
      const ws = new WebSocket(origin.replace('http', 'ws') + '/api')
      ws.onopen = () => resolve('opened')
      ws.onclose = () => resolve('refused')
    })
  }, host.origin)
  expect(refused).toBe('refused')
  await page.screenshot({ path: screenshotPath('token-missing') })
})
