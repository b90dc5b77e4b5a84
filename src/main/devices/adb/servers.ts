// Which adb servers the lab talks to: the local one (found the way the adb CLI finds it) and remote ones (host:port).
import { LabError } from '../../../shared/errors'

export interface AdbServerAddress {
  host: string
  port: number
  /** The local server may be started by the lab; remote ones never are. */
  local: boolean
}

export const DEFAULT_ADB_PORT = 5037

export function serverLabel(a: Pick<AdbServerAddress, 'host' | 'port'>): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

function parsePort(text: string, what: string): number {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new LabError('bad_request', `${what} has port "${text}", which is not a port number (1-65535).`)
  }
  return port
}

/** 'host:port', '[v6]:port' or 'port' (localhost) → address of a REMOTE server. */
export function parseServerAddress(text: string): AdbServerAddress {
  const s = text.trim().replace(/^tcp:/, '')
  let m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s)
  if (m) return { host: m[1], port: parsePort(m[2], `adb server "${text}"`), local: false }
  m = /^([A-Za-z0-9.-]+):(\d+)$/.exec(s)
  if (m) return { host: m[1], port: parsePort(m[2], `adb server "${text}"`), local: false }
  if (/^\d+$/.test(s)) return { host: '127.0.0.1', port: parsePort(s, `adb server "${text}"`), local: false }
  throw new LabError('bad_request', `"${text}" is not an adb server address; write it as host:port, e.g. 192.168.1.20:5037.`, 'adb')
}

/**
 * The local server, as the adb CLI finds it: ADB_SERVER_SOCKET=tcp:host:port (or tcp:port), else
 * ANDROID_ADB_SERVER_ADDRESS (host) + ANDROID_ADB_SERVER_PORT (port), else 127.0.0.1:5037.
 */
export function localServerAddress(env: NodeJS.ProcessEnv = process.env): AdbServerAddress {
  const socket = env.ADB_SERVER_SOCKET?.trim()
  if (socket) {
    const m = /^tcp:(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(socket)
    if (!m) throw new LabError('bad_request', `ADB_SERVER_SOCKET="${socket}" is not understood; use tcp:host:port (e.g. tcp:127.0.0.1:5037) or unset it.`)
    const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1'
    return { host, port: parsePort(m[2], 'ADB_SERVER_SOCKET'), local: true }
  }
  const port = env.ANDROID_ADB_SERVER_PORT?.trim() ? parsePort(env.ANDROID_ADB_SERVER_PORT.trim(), 'ANDROID_ADB_SERVER_PORT') : DEFAULT_ADB_PORT
  const host = env.ANDROID_ADB_SERVER_ADDRESS?.trim() || '127.0.0.1'
  return { host, port, local: true }
}

/** The error for a missing `adb` program, with install hints for this platform. */
export function adbMissingError(platform: NodeJS.Platform = process.platform): LabError {
  const hint =
    platform === 'darwin'
      ? 'On macOS: `brew install android-platform-tools`.'
      : platform === 'win32'
        ? 'On Windows: `winget install Google.PlatformTools` (or unzip Google\'s platform-tools and add the folder to PATH).'
        : 'On Debian/Ubuntu: `sudo apt install adb` (Fedora: `sudo dnf install android-tools`).'
  return new LabError(
    'tool_missing',
    `The adb program was not found, so phones cannot be listed. Install Android platform-tools and make sure \`adb\` is on PATH. ${hint} Or start an adb server yourself and point the lab at it with --adb host:port.`
  )
}
