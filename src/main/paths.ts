// Where the lab keeps its data: --data-dir, else PROXYLESS_LAB_DATA_DIR, else the platform's user data folder
// (the same folder Electron's app.getPath('userData') gives for this app, so window and CLI share one store).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const APP_DIR_NAME = 'proxyless-lab'

export function platformUserDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir()
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME)
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR_NAME)
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_DIR_NAME)
}

export function resolveDataDir(explicit?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit)
  if (env.PROXYLESS_LAB_DATA_DIR) return path.resolve(env.PROXYLESS_LAB_DATA_DIR)
  return platformUserDataDir(env)
}

/** The project root (where package.json and node_modules are), found from this file in source or bundle form. */
export function projectRoot(): string {
  // src/main/paths.ts -> ../..; out/main/index.js -> ../..
  return path.resolve(__dirname, '..', '..')
}

/**
 * A file the build writes beside the main bundle's entry files (out/main/*.js): worker entries, the native .wasm.
 * Code the bundler moved into a shared chunk runs from out/main/chunks, so its own folder and the one above are
 * both looked in. Null when neither holds it (running from source: the caller takes the .ts file instead).
 */
export function besideBundle(dir: string, file: string): string | null {
  for (const d of [dir, path.dirname(dir)]) {
    const f = path.join(d, file)
    if (fs.existsSync(f)) return f
  }
  return null
}
