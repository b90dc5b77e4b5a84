// The real Electron window, where the Electron binary exists. Elsewhere it skips and says why.
import { _electron as electron, expect, test } from '@playwright/test'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findElectronBinary } from '../../src/main/start'
import { ROOT, screenshotPath } from './lab-host'

const binary = findElectronBinary(ROOT)
const hasDisplay = Boolean(process.env.DISPLAY) || process.platform !== 'linux'

test.describe('Electron window', () => {
  test.skip(!binary.path, `Electron end-to-end test skipped: ${binary.reason}.`)
  test.skip(Boolean(binary.path) && !hasDisplay, 'Electron end-to-end test skipped: no display (run under xvfb-run).')

  test('opens the lab with the LabApi bridge and secure settings', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-electron-'))
    const app = await electron.launch({ executablePath: binary.path!, args: [ROOT, '--data-dir', dataDir] })
    try {
      const window = await app.firstWindow()
      await expect(window.getByTestId('view-devices')).toBeVisible()
      // The preload exposes the LabApi bridge and nothing from Node.
      expect(await window.evaluate(() => typeof (window as unknown as { lab?: unknown }).lab)).toBe('object')
      expect(await window.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined')
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wc = BrowserWindow.getAllWindows()[0].webContents
        return (wc as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences()
      })
      expect(prefs).toMatchObject({ contextIsolation: true, nodeIntegration: false, sandbox: true })
      await window.screenshot({ path: screenshotPath('electron-devices') })
    } finally {
      await app.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
