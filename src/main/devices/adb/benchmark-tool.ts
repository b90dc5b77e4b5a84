// Finding the TFLite `benchmark_model` tool for a phone's ABI: already on the phone, a file the person chose, or
// (with consent) the official nightly build downloaded into a cache folder. Otherwise a clear next step.
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { DeviceClient } from '@devicefarmer/adbkit'
import { LabError } from '../../../shared/errors'
import { quoteShellArg, runShell } from './shell'

export const DEVICE_TOOL_PATH = '/data/local/tmp/benchmark_model'
export const NIGHTLY_BASE_URL = 'https://storage.googleapis.com/tensorflow-nightly-public/prod/tensorflow/release/lite/tools/nightly/latest/'

/** The official nightly file name for an Android ABI, or null when none is published. */
export function nightlyFileForAbi(abi: string): string | null {
  switch (abi) {
    case 'arm64-v8a':
      return 'android_aarch64_benchmark_model'
    case 'armeabi-v7a':
    case 'armeabi':
      return 'android_arm_benchmark_model'
    case 'x86_64':
      return 'android_x86_64_benchmark_model'
    default:
      return null
  }
}

export interface ToolSource {
  /** A benchmark_model binary on this computer that the person chose (pushed and made executable). */
  localFile?: string | null
  /** The person agreed to download the official nightly build. */
  allowDownload?: boolean
  /** Folder for downloaded tools (e.g. <dataDir>/tools). */
  cacheDir?: string | null
}

export interface BenchmarkTool {
  devicePath: string
  origin: 'device' | 'chosen' | 'downloaded'
}

async function existsOnDevice(device: DeviceClient, devicePath: string): Promise<boolean> {
  const r = await runShell(device, `ls ${quoteShellArg(devicePath)} 2>/dev/null`)
  return r.exitCode === 0 && r.output.trim() !== ''
}

async function onPath(device: DeviceClient): Promise<string | null> {
  const r = await runShell(device, `command -v ${quoteShellArg('benchmark_model')} 2>/dev/null`)
  const found = r.output.trim().split('\n')[0]?.trim()
  return r.exitCode === 0 && found && found.startsWith('/') ? found : null
}

export async function pushExecutable(device: DeviceClient, localFile: string, devicePath: string): Promise<void> {
  const transfer = await device.push(fs.createReadStream(localFile, { highWaterMark: 64 * 1024 }), devicePath, 0o755)
  await new Promise<void>((resolve, reject) => {
    transfer.on('end', () => resolve())
    transfer.on('error', reject)
  })
  const r = await runShell(device, `chmod ${quoteShellArg('755')} ${quoteShellArg(devicePath)}`)
  if (r.exitCode !== 0) {
    throw new LabError('tool_missing', `The benchmark tool was copied to ${devicePath} but could not be made executable (${r.output.trim() || `exit ${r.exitCode}`}).`)
  }
}

/** Download (once) the nightly tool for an ABI into cacheDir and return the local file. */
export async function downloadNightlyTool(abi: string, cacheDir: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const name = nightlyFileForAbi(abi)
  if (!name) throw new LabError('tool_missing', `There is no official benchmark_model build for the ${abi} ABI. Build one from TensorFlow's sources and choose it in Settings → Benchmark tool.`)
  const file = path.join(cacheDir, 'benchmark_model', name)
  if (fs.existsSync(file) && fs.statSync(file).size > 0) return file
  fs.mkdirSync(path.dirname(file), { recursive: true })
  let response: Response
  try {
    response = await fetchImpl(NIGHTLY_BASE_URL + name)
  } catch (e) {
    throw new LabError('tool_missing', `Downloading the benchmark tool from ${NIGHTLY_BASE_URL}${name} failed (${(e as Error).message}). Check the internet connection, or download it yourself and choose it in Settings → Benchmark tool.`)
  }
  if (!response.ok || !response.body) {
    throw new LabError('tool_missing', `Downloading ${NIGHTLY_BASE_URL}${name} failed with HTTP ${response.status}. Download it yourself and choose it in Settings → Benchmark tool.`)
  }
  const partial = `${file}.part`
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(partial)
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(out)
    out.on('finish', resolve)
    out.on('error', reject)
  })
  fs.renameSync(partial, file) // only a complete download gets the real name
  return file
}

/**
 * Find or install benchmark_model on the phone. Order: a file the person chose (it wins, so a custom build is used),
 * /data/local/tmp/benchmark_model, PATH, then the nightly download with consent.
 */
export async function ensureBenchmarkTool(device: DeviceClient, deviceLabel: string, abis: string[], source: ToolSource = {}): Promise<BenchmarkTool> {
  if (source.localFile) {
    if (!fs.existsSync(source.localFile)) {
      throw new LabError('tool_missing', `The chosen benchmark tool ${source.localFile} does not exist any more. Choose it again in Settings → Benchmark tool.`)
    }
    await pushExecutable(device, source.localFile, DEVICE_TOOL_PATH)
    return { devicePath: DEVICE_TOOL_PATH, origin: 'chosen' }
  }
  if (await existsOnDevice(device, DEVICE_TOOL_PATH)) return { devicePath: DEVICE_TOOL_PATH, origin: 'device' }
  const fromPath = await onPath(device)
  if (fromPath) return { devicePath: fromPath, origin: 'device' }
  const abi = abis.find((a) => nightlyFileForAbi(a) !== null) ?? abis[0] ?? 'unknown'
  const name = nightlyFileForAbi(abi)
  if (source.allowDownload && source.cacheDir && name) {
    const file = await downloadNightlyTool(abi, source.cacheDir)
    await pushExecutable(device, file, DEVICE_TOOL_PATH)
    return { devicePath: DEVICE_TOOL_PATH, origin: 'downloaded' }
  }
  const download = name
    ? ` or allow the lab to download the official nightly build (${NIGHTLY_BASE_URL}${name})`
    : ''
  throw new LabError(
    'tool_missing',
    `No benchmark tool for ${abi} on ${deviceLabel}: choose a benchmark_model file in Settings → Benchmark tool${download}, or copy one yourself with \`adb push benchmark_model ${DEVICE_TOOL_PATH}\` and \`adb shell chmod 755 ${DEVICE_TOOL_PATH}\`.`
  )
}
