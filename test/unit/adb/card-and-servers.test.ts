import { describe, expect, it } from 'vitest'
import { buildCard, groupClusters, isOnExternalPower, isWirelessSerial, parseCpuList, parseDumpsysBattery, thermalValueC } from '../../../src/main/devices/adb/card'
import { benchmarkCommand, benchmarkFlags, splitRunOutput } from '../../../src/main/devices/adb/runner'
import { localServerAddress, parseServerAddress } from '../../../src/main/devices/adb/servers'
import { judge } from '../../../src/main/devices/adb/thermal'
import { describeState, emptyDeviceInfo } from '../../../src/main/devices/adb/tracker'
import { nightlyFileForAbi } from '../../../src/main/devices/adb/benchmark-tool'
import { BenchmarkSettingsSchema } from '../../../src/shared/contract/measure'

const DUMPSYS = `Current Battery Service state:
  AC powered: false
  USB powered: true
  Wireless powered: false
  Max charging current: 500000
  status: 2
  health: 2
  present: true
  level: 87
  scale: 100
  voltage: 4231
  temperature: 281
  technology: Li-ion
`

describe('device card', () => {
  it('reads dumpsys battery', () => {
    const b = parseDumpsysBattery(DUMPSYS)
    expect(b).toEqual({ levelPct: 87, tempC: 28.1, voltageMv: 4231, status: 2, acPowered: false, usbPowered: true, wirelessPowered: false })
    expect(isOnExternalPower(b)).toBe(true)
    const unplugged = parseDumpsysBattery(DUMPSYS.replace('USB powered: true', 'USB powered: false').replace('status: 2', 'status: 3'))
    expect(isOnExternalPower(unplugged)).toBe(false)
    expect(isOnExternalPower(unplugged, 'Charging\n')).toBe(true)
  })

  it('groups CPU clusters by max frequency', () => {
    expect(parseCpuList('0-3,4-6,7\n')).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    const freqs = [1804800, 1804800, 1804800, 1804800, 2419200, 2419200, 2419200, 2841600]
    expect(groupClusters([0, 1, 2, 3, 4, 5, 6, 7], freqs)).toEqual([
      { cores: [0, 1, 2, 3], maxFreqKhz: 1804800 },
      { cores: [4, 5, 6], maxFreqKhz: 2419200 },
      { cores: [7], maxFreqKhz: 2841600 }
    ])
  })

  it('converts thermal readings and drops absurd ones', () => {
    expect(thermalValueC('41500')).toBe(41.5)
    expect(thermalValueC('415')).toBe(41.5)
    expect(thermalValueC('38')).toBe(38)
    expect(thermalValueC('-273000')).toBeNull()
    expect(thermalValueC('n/a')).toBeNull()
  })

  it('recognises wireless ADB serials', () => {
    expect(isWirelessSerial('192.168.1.20:5555')).toBe(true)
    expect(isWirelessSerial('adb-1A2B3C4D-xyz._adb-tls-connect._tcp')).toBe(true)
    expect(isWirelessSerial('R58M12345')).toBe(false)
    expect(isWirelessSerial('emulator-5554')).toBe(false)
  })

  it('builds the card from props', () => {
    const card = buildCard(
      emptyDeviceInfo('R58', 'R58', '127.0.0.1:5037', 'device'),
      {
        'ro.product.manufacturer': 'Google',
        'ro.product.model': 'Pixel 6',
        'ro.soc.manufacturer': 'Google',
        'ro.soc.model': 'Tensor',
        'ro.board.platform': 'gs101',
        'ro.product.cpu.abilist': 'arm64-v8a,armeabi-v7a,armeabi',
        'ro.build.version.release': '14',
        'ro.build.version.sdk': '34'
      },
      { clusters: [], battery: parseDumpsysBattery(DUMPSYS), thermalZonesC: { cpu: 40 } }
    )
    expect(card).toMatchObject({ label: 'Google Pixel 6', soc: 'Google Tensor', board: 'gs101', abis: ['arm64-v8a', 'armeabi-v7a', 'armeabi'], androidVersion: '14', sdk: 34, batteryLevelPct: 87, chargingSource: 'usb', modelled: false, kind: 'adb' })
    const virtual = buildCard(emptyDeviceInfo('127.0.0.1:6520', '127.0.0.1:6520', 'x', 'device'), { 'ro.proxyless.power_model': 'modelled', 'ro.hardware': 'vsoc' }, { clusters: [], battery: null, thermalZonesC: {} })
    expect(virtual).toMatchObject({ modelled: true, kind: 'virtual', soc: 'vsoc', wirelessAdb: true, chargingSource: null })
  })

  it('labels virtual phones by the name they were started with, so two of them can be told apart', () => {
    const card = (name: string) =>
      buildCard(
        emptyDeviceInfo('127.0.0.1:6520', '127.0.0.1:6520', 'x', 'device'),
        { 'ro.product.manufacturer': 'Proxyless Lab', 'ro.product.model': 'Virtual Pixel', 'ro.product.name': name, 'ro.proxyless.virtual': '1', 'ro.proxyless.power_model': 'modelled' },
        { clusters: [], battery: null, thermalZonesC: {} }
      )
    expect(card('phone-a').label).toBe('Virtual Pixel · phone-a')
    expect(card('phone-b').label).toBe('Virtual Pixel · phone-b')
    // The first-run phone's name only spells its model.
    expect(card('virtual-pixel').label).toBe('Proxyless Lab Virtual Pixel')
    // A real phone's label stays its make and model, whatever its product name.
    const real = buildCard(emptyDeviceInfo('R58', 'R58', 'x', 'device'), { 'ro.product.manufacturer': 'Google', 'ro.product.model': 'Pixel 6', 'ro.product.name': 'oriole' }, { clusters: [], battery: null, thermalZonesC: {} })
    expect(real.label).toBe('Google Pixel 6')
  })
})

describe('device states', () => {
  it('tells the person what to do', () => {
    expect(describeState('unauthorized', 'x').hint).toMatch(/accept the USB debugging prompt/)
    expect(describeState('no permissions (user in plugdev group; are your udev rules wrong?)', 'x').state).toBe('no permissions')
    expect(describeState('offline', '10.0.0.2:5555').hint).toMatch(/Wi-Fi/)
    expect(describeState('device', 'x')).toEqual({ state: 'device', hint: null })
    expect(describeState('recovery', 'x').state).toBe('unknown')
  })
})

describe('adb servers', () => {
  it('finds the local server like adb does', () => {
    expect(localServerAddress({})).toEqual({ host: '127.0.0.1', port: 5037, local: true })
    expect(localServerAddress({ ANDROID_ADB_SERVER_PORT: '5137' })).toEqual({ host: '127.0.0.1', port: 5137, local: true })
    expect(localServerAddress({ ADB_SERVER_SOCKET: 'tcp:10.1.2.3:5038', ANDROID_ADB_SERVER_PORT: '5137' })).toEqual({ host: '10.1.2.3', port: 5038, local: true })
    expect(localServerAddress({ ADB_SERVER_SOCKET: 'tcp:5039' })).toEqual({ host: '127.0.0.1', port: 5039, local: true })
    expect(() => localServerAddress({ ADB_SERVER_SOCKET: 'localfilesystem:/x' })).toThrow(/tcp:host:port/)
    expect(() => localServerAddress({ ANDROID_ADB_SERVER_PORT: 'abc' })).toThrow(/not a port/)
  })
  it('parses remote server addresses', () => {
    expect(parseServerAddress('farm.example.com:5037')).toEqual({ host: 'farm.example.com', port: 5037, local: false })
    expect(parseServerAddress('[::1]:5037')).toEqual({ host: '::1', port: 5037, local: false })
    expect(() => parseServerAddress('farm:99999')).toThrow(/port/)
    expect(() => parseServerAddress('no port')).toThrow(/host:port/)
  })
})

describe('benchmark command', () => {
  const settings = BenchmarkSettingsSchema.parse({ threads: 4, runs: 30, warmupRuns: 3, cpuMaskHex: 'f0', delegate: 'gpu', profileOps: true })
  it('maps settings to flags and quotes every word', () => {
    const { flags } = benchmarkFlags('/data/local/tmp/proxyless/ab.tflite', settings)
    expect(flags).toContain('--num_threads=4')
    expect(flags).toContain('--num_runs=30')
    expect(flags).toContain('--warmup_runs=3')
    expect(flags).toContain('--use_gpu=true')
    expect(flags).toContain('--use_xnnpack=false')
    expect(flags).toContain('--enable_op_profiling=true')
    const cmd = benchmarkCommand('/data/local/tmp/benchmark_model', flags, 'f0')
    expect(cmd).toMatch(/^cat '\/proc\/uptime'; taskset 'f0' '\/data\/local\/tmp\/benchmark_model' '--graph=\/data\/local\/tmp\/proxyless\/ab.tflite'/)
    expect(cmd).toMatch(/ 2>&1; echo __RC=\$\?; cat '\/proc\/uptime'$/)
    expect(benchmarkCommand('/t', [], null)).not.toMatch(/taskset/)
  })
  it('asks for exactly the runs without energy, and for a steady phase long enough for a dozen battery samples with it', () => {
    expect(benchmarkFlags('/m.tflite', settings).flags).toContain('--min_secs=0')
    const withEnergy = BenchmarkSettingsSchema.parse({ runs: 5, energy: true, energySampleMs: 100 })
    expect(benchmarkFlags('/m.tflite', withEnergy).flags).toContain('--min_secs=1.2')
    expect(benchmarkFlags('/m.tflite', { ...withEnergy, energySampleMs: 20 }).flags).toContain('--min_secs=1')
    // An asked minimum duration is passed on, and energy only ever raises it.
    expect(benchmarkFlags('/m.tflite', { ...settings, minSecs: 2 }).flags).toContain('--min_secs=2')
    expect(benchmarkFlags('/m.tflite', { ...withEnergy, minSecs: 3 }).flags).toContain('--min_secs=3')
    expect(benchmarkFlags('/m.tflite', { ...withEnergy, minSecs: 0.5 }).flags).toContain('--min_secs=1.2')
  })
  it('splits uptime, output and exit code', () => {
    expect(splitRunOutput('100.50 300.00\nSTARTING!\ncount=1 avg=2\n__RC=0\n101.75 302.00\n')).toEqual({ output: 'STARTING!\ncount=1 avg=2\n', exitCode: 0, startS: 100.5, endS: 101.75 })
    expect(splitRunOutput('100.50 300.00\nSTARTING!\n').exitCode).toBeNull()
  })
  it('names the nightly tool per ABI', () => {
    expect(nightlyFileForAbi('arm64-v8a')).toBe('android_aarch64_benchmark_model')
    expect(nightlyFileForAbi('armeabi-v7a')).toBe('android_arm_benchmark_model')
    expect(nightlyFileForAbi('x86_64')).toBe('android_x86_64_benchmark_model')
    expect(nightlyFileForAbi('x86')).toBeNull()
  })
})

describe('thermal guard', () => {
  const s = { maxZoneC: 45, maxBatteryC: 38, maxWaitMs: 1000, pollMs: 100 }
  it('judges hot by the hottest zone or the battery', () => {
    expect(judge({ cpu: 40, gpu: 44.9, battery: 30 }, s).hot).toBe(false)
    expect(judge({ cpu: 40, gpu: 46, battery: 30 }, s)).toMatchObject({ hot: true, hottestZone: { name: 'gpu', c: 46 } })
    expect(judge({ cpu: 30, battery: 39 }, s)).toMatchObject({ hot: true, batteryC: 39 })
  })
})
