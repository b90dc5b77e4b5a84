// One adb server: an adbkit client, started on demand when it is the local one, with errors turned into sentences.
import { Adb, type Client, type DeviceClient } from '@devicefarmer/adbkit'
import { LabError } from '../../../shared/errors'
import { adbMissingError, serverLabel, type AdbServerAddress } from './servers'

// adbkit runs `<bin> -P <port> start-server` when a connection is refused; for a remote server that would start
// a useless local one, so remote clients get a program that cannot exist and the refusal is reported instead.
const NO_BIN = '/nonexistent/proxyless-lab-never-starts-remote-adb-servers'

export class AdbServer {
  readonly label: string
  readonly client: Client

  constructor(
    readonly address: AdbServerAddress,
    private readonly adbBin = 'adb'
  ) {
    this.label = serverLabel(address)
    this.client = Adb.createClient({ host: address.host, port: address.port, bin: address.local ? adbBin : NO_BIN })
  }

  /** Make sure the server answers (starting the local one if needed); returns its protocol version. */
  async ensureRunning(): Promise<number> {
    try {
      return await this.client.version()
    } catch (e) {
      throw this.explain(e)
    }
  }

  device(adbSerial: string): DeviceClient {
    return this.client.getDevice(adbSerial)
  }

  /** A failure talking to this server, as a sentence. */
  explain(e: unknown): LabError {
    if (e instanceof LabError) return e
    const err = e as NodeJS.ErrnoException & { path?: string }
    const message = err instanceof Error ? err.message : String(e)
    if (this.address.local && err.code === 'ENOENT' && (err.path === this.adbBin || /spawn|ENOENT/.test(message))) return adbMissingError()
    if (!this.address.local || err.code === 'ENOENT') {
      return new LabError(
        'device_unavailable',
        `The adb server at ${this.label} is not reachable (${err.code ?? message}). On that machine run \`adb -a -P ${this.address.port} nodaemon server\` and check that the port is open.`
      )
    }
    return new LabError('device_unavailable', `The local adb server at ${this.label} failed: ${message}. Try \`adb kill-server\` and reconnect the phone.`)
  }
}
