// A virtual phone: the device side of ADB on a loopback TCP port, so `adb connect 127.0.0.1:PORT` (and adbkit) drive
// it exactly like a phone. Its shell runs a handler table in a sandbox folder, its benchmark_model runs the real TFLite
// runtime on this computer, and its battery / thermal files come from a power model labelled as modelled.
import fsp from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { BENCHMARK_TOOL_PATH, buildCommandTable, type VirtualDeviceState } from './commands'
import { cpuLayout, PowerModel } from './power'
import { DeviceConnection, MAX_PAYLOAD, type DeviceIdentity, type DeviceStream } from './protocol'
import { DeviceFs } from './sandbox'
import { parseShellService, startShellService, type ShellHost } from './shell'
import { startSyncService } from './sync'
import { createSyntheticFs } from './sysfs'
import { WarmRuntime } from '../host/warm-runtime'

/** The adb server scans these ports for emulators; a virtual phone never listens on them. */
export const EMULATOR_PORT_MIN = 5554
export const EMULATOR_PORT_MAX = 5585
/** Only what is implemented: shell v2 (exit codes) and cmd. No stat_v2/ls_v2/sendrecv_v2/delayed_ack. */
export const VIRTUAL_PHONE_FEATURES = ['shell_v2', 'cmd']

export interface VirtualPhoneOptions {
  /** ro.product.name (and device); letters, digits, - and _. Default 'vphone'. */
  name?: string
  /** ro.product.model. Default 'Virtual Pixel'. */
  model?: string
  /** Cores the phone pretends to have (big.LITTLE, half and half) and its default benchmark threads. Default 8. */
  threads?: number
  /** 0 (default) picks a free port outside 5554–5585. */
  port?: number
  /** Sandbox folder for the device's files; default a new temp folder (removed on stop). */
  root?: string
  /** Seed of the power model's noise. Default 1. */
  seed?: number
  /** Start with USB "plugged in" (battery charging). Default false (unplugged, as over wireless ADB). */
  usbCharging?: boolean
  /** Device-side max payload (default 1 MiB; 4096 behaves like a legacy device). */
  maxPayloadBytes?: number
}

export class VirtualPhone {
  private readonly connections = new Set<DeviceConnection>()
  private stopped = false

  private constructor(
    readonly name: string,
    readonly model: string,
    readonly coreCount: number,
    readonly port: number,
    readonly root: string,
    readonly power: PowerModel,
    private readonly server: net.Server,
    private readonly ownsRoot: boolean,
    private readonly runtime: WarmRuntime
  ) {}

  /** What `adb devices` shows once connected. */
  get serial(): string {
    return `127.0.0.1:${this.port}`
  }

  static async start(opts: VirtualPhoneOptions = {}): Promise<VirtualPhone> {
    const name = (opts.name ?? 'vphone').replace(/[^A-Za-z0-9_-]/g, '_') || 'vphone'
    const model = opts.model ?? 'Virtual Pixel'
    const coreCount = Math.max(1, Math.min(64, Math.floor(opts.threads ?? 8)))
    if (opts.port !== undefined && opts.port !== 0 && opts.port >= EMULATOR_PORT_MIN && opts.port <= EMULATOR_PORT_MAX) {
      throw new Error(`Port ${opts.port} is in adb's emulator range ${EMULATOR_PORT_MIN}-${EMULATOR_PORT_MAX}; choose another port (or 0 for any).`)
    }
    const ownsRoot = !opts.root
    const root = opts.root ? path.resolve(opts.root) : await fsp.mkdtemp(path.join(os.tmpdir(), `vphone-${name}-`))
    await fsp.mkdir(root, { recursive: true })

    const bootMs = Date.now()
    const power = new PowerModel({ cores: cpuLayout(coreCount), seed: opts.seed ?? 1, usbCharging: opts.usbCharging ?? false })
    const fs = new DeviceFs(root, createSyntheticFs(power, { bootMs }))
    await fs.prepare()
    // A placeholder so tool discovery (`ls /data/local/tmp/benchmark_model`) finds the built-in benchmark_model.
    if (!(await fs.stat(BENCHMARK_TOOL_PATH))) {
      await fs.writeFile(BENCHMARK_TOOL_PATH, '#!/system/bin/sh\n# The virtual phone runs benchmark_model itself (real TFLite on the host CPU).\n')
      await fs.chmod(BENCHMARK_TOOL_PATH, 0o755)
    }
    const state: VirtualDeviceState = { fs, power, props: phoneProperties(name, model, coreCount), settings: new Map([['global/stay_on_while_plugged_in', '0']]), bootMs, runtime: new WarmRuntime() }
    const host: ShellHost = {
      fs,
      handlers: buildCommandTable(state),
      env: { PATH: '/product/bin:/apex/com.android.runtime/bin:/system/bin:/system/xbin:/data/local/tmp', HOME: '/', TMPDIR: '/data/local/tmp', ANDROID_DATA: '/data', EXTERNAL_STORAGE: '/sdcard', USER: 'shell' }
    }
    const identity: DeviceIdentity = { product: name, model, device: name, features: VIRTUAL_PHONE_FEATURES }
    const router = (service: string): ((s: DeviceStream) => void) | null => {
      if (service === 'sync:') return (s) => startSyncService(s, fs)
      const shell = parseShellService(service)
      if (shell) return (s) => startShellService(s, host, shell.v2, shell.command)
      return null // every other service (reboot:, tcp:, jdwp:, framebuffer:, ...) is refused with CLSE
    }

    const server = net.createServer()
    const port = await listenOutsideEmulatorRange(server, opts.port ?? 0)
    const phone = new VirtualPhone(name, model, coreCount, port, root, power, server, ownsRoot, state.runtime)
    server.on('connection', (socket) => {
      if (phone.stopped) {
        socket.destroy()
        return
      }
      const conn = new DeviceConnection(socket, identity, router, opts.maxPayloadBytes ?? MAX_PAYLOAD)
      phone.connections.add(conn)
      socket.on('close', () => phone.connections.delete(conn))
    })
    return phone
  }

  /** Simulate plugging / unplugging USB power (battery charges; energy readings become unreliable). */
  setUsbCharging(on: boolean): void {
    this.power.setUsbCharging(on)
  }

  /** Closes the port and every connection; removes the sandbox if it was a temp folder. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const c of this.connections) c.destroy()
    this.connections.clear()
    await closed
    await this.runtime.close()
    if (this.ownsRoot) await fsp.rm(this.root, { recursive: true, force: true })
  }
}

export function phoneProperties(name: string, model: string, coreCount: number): Map<string, string> {
  return new Map([
    ['ro.product.name', name],
    ['ro.product.device', name],
    ['ro.product.model', model],
    ['ro.product.brand', 'proxyless'],
    ['ro.product.manufacturer', 'Proxyless Lab'],
    ['ro.product.board', 'virtual'],
    ['ro.board.platform', 'virtual'],
    ['ro.hardware', 'virtual'],
    ['ro.soc.manufacturer', 'Proxyless Lab'],
    ['ro.soc.model', `Virtual SoC ${coreCount}-core`],
    ['ro.product.cpu.abi', 'arm64-v8a'],
    ['ro.product.cpu.abilist', 'arm64-v8a,armeabi-v7a,armeabi'],
    ['ro.product.cpu.abilist64', 'arm64-v8a'],
    ['ro.build.version.release', '14'],
    ['ro.build.version.sdk', '34'],
    ['ro.build.type', 'user'],
    ['ro.build.fingerprint', `proxyless/${name}/${name}:14/VIRTUAL/1:user/release-keys`],
    ['ro.serialno', `VIRTUAL${name.toUpperCase()}`],
    ['ro.debuggable', '0'],
    ['ro.secure', '0'],
    ['sys.boot_completed', '1'],
    ['dev.bootcomplete', '1'],
    ['persist.sys.usb.config', 'adb'],
    ['ro.proxyless.virtual', '1'],
    ['ro.proxyless.power_model', 'modelled'],
    ['ro.proxyless.default_threads', String(coreCount)]
  ])
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e)
    server.once('error', onError)
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', onError)
      resolve((server.address() as net.AddressInfo).port)
    })
  })
}

/** Listens on the given port, or on a free one that adb's emulator scan will never probe. */
async function listenOutsideEmulatorRange(server: net.Server, port: number): Promise<number> {
  if (port !== 0) return listen(server, port)
  for (let attempt = 0; attempt < 20; attempt++) {
    const got = await listen(server, 0)
    if (got < EMULATOR_PORT_MIN || got > EMULATOR_PORT_MAX) return got
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  throw new Error('Could not find a free loopback port outside 5554-5585 for the virtual phone.')
}
