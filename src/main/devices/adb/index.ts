// Phones over adb: the public surface for the composition root (lab.ts) and the CLI.
export { AdbDevices, describeState, type AdbDevicesOptions } from './tracker'
export { AdbTarget, type AdbTargetOptions } from './adb-target'
export { localServerAddress, parseServerAddress, adbMissingError, type AdbServerAddress } from './servers'
export { AdbServer } from './connection'
export { quoteShellArg } from './shell'
export { parseBenchmarkOutput, type ParsedBenchmark } from './parser'
export { DEFAULT_THERMAL, type ThermalSettings } from './thermal'
export { NIGHTLY_BASE_URL, nightlyFileForAbi, downloadNightlyTool, type ToolSource } from './benchmark-tool'
