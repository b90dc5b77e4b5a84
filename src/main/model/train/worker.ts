// One replica of the data-parallel trainer: its own tfjs engine and backend in a worker thread. Each step it
// loads the shared weights into its variables, computes the mean loss gradient over its shard of the shared
// batch, and writes it into its own row of the shared gradient buffer. It never updates weights itself.
import { parentPort, workerData } from 'worker_threads'
import * as tf from '@tensorflow/tfjs'
import { networkFromJson } from '../ir'
import { initTrainingEngine } from './engine'
import { createTrainingLoss, softmaxCrossEntropy, type TrainingLoss, type TrainingLossFactory } from './loss'
import type { FromWorker, ParamSlot, ToWorker, WorkerInit, WorkerMemory } from './protocol'

const init = workerData as WorkerInit
if (!parentPort) throw new Error('The training worker must run in a worker thread.')
const port = parentPort

function memory(): WorkerMemory {
  const b = tf.findBackend('wasm') as unknown as { wasm?: { HEAPU8?: Uint8Array } } | null
  return {
    numTensors: tf.memory().numTensors,
    wasmHeapBytes: tf.getBackend() === 'wasm' ? (b?.wasm?.HEAPU8?.byteLength ?? 0) : 0,
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024
  }
}

const send = (m: FromWorker): void => port.postMessage(m)

async function main(): Promise<void> {
  const info = await initTrainingEngine({ backend: init.backend, nativeKernels: init.nativeKernels, log: () => undefined })
  const net = init.netJson === null ? null : networkFromJson(init.netJson)
  const weights = new Float32Array(init.weights)
  const counter = new Int32Array(init.counter)
  let grads = new Float32Array(new SharedArrayBuffer(0))
  const params = new Map<string, tf.Variable>()
  for (const s of init.slots) {
    params.set(s.key, tf.variable(tf.tensor(weights.subarray(s.offset, s.offset + s.size), s.shape, 'float32'), true, `p${init.index}/${s.key}`))
  }
  const vars = [...params.values()]
  const slotOf = new Map(init.slots.map((s) => [s.key, s]))
  // require(), not import(): inside a tsx/cjs worker a dynamic import of a .ts file fails on Node 20.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory: TrainingLossFactory = init.lossModule ? (require(init.lossModule) as { createTrainingLoss: TrainingLossFactory }).createTrainingLoss : createTrainingLoss
  const loss: TrainingLoss = factory({ net, params, options: init.lossOptions })
  const inputShape = init.inputShape
  const imageSize = inputShape.reduce((a, b) => a * b, 1)
  let images = new Float32Array(new SharedArrayBuffer(0))
  let labels = new Int32Array(new SharedArrayBuffer(0))

  // Keys whose shared weights changed since this worker last loaded them: a supernet step changes one path, so
  // reloading all of its 650 variables every step cost more than the step's own work.
  let pending: Set<string> | 'all' = 'all'
  const noteReload = (reload: string[] | 'all'): void => {
    if (pending === 'all') return
    if (reload === 'all') pending = 'all'
    else for (const k of reload) pending.add(k)
  }
  const loadWeights = (): void => {
    const keys = pending === 'all' ? init.slots.map((s) => s.key) : [...pending]
    pending = new Set()
    for (const key of keys) {
      const s = slotOf.get(key)
      if (!s) throw new Error(`The trainer asked to reload "${key}", which is not a parameter.`)
      const v = params.get(s.key) as tf.Variable
      tf.tidy(() => v.assign(tf.tensor(weights.subarray(s.offset, s.offset + s.size), s.shape, 'float32')))
    }
  }
  const batch = (start: number, end: number): { xs: tf.Tensor; ys: tf.Tensor1D } => ({
    xs: tf.tensor(images.subarray(start * imageSize, end * imageSize), [end - start, ...inputShape], 'float32'),
    ys: tf.tensor1d(labels.subarray(start, end), 'int32')
  })

  port.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'close') {
        loss.dispose?.()
        for (const v of vars) v.dispose()
        port.close()
        return
      }
      if (m.type === 'grads') {
        grads = new Float32Array(m.grads)
        return
      }
      if (m.type === 'input') {
        images = new Float32Array(m.images)
        labels = new Int32Array(m.labels)
        return
      }
      noteReload(m.reload)
      if (m.type === 'step') {
        // Gradients only for the keys the main thread will use (a NAS step: one path); the rest of the row is not read.
        const stepSlots = m.update ? m.update.map((k) => slotOf.get(k) as ParamSlot) : init.slots
        const stepVars = m.update ? m.update.map((k) => params.get(k) as tf.Variable) : vars
        // Take chunks until none is left; a worker that starts late (or is descheduled) simply takes fewer.
        const losses: [number, number, number][] = []
        const chunks = Math.ceil(m.n / m.chunk)
        let loaded = false
        for (let i = Atomics.add(counter, 0, 1); i < chunks; i = Atomics.add(counter, 0, 1)) {
          if (!loaded) loadWeights()
          loaded = true
          const row = grads.subarray(i * init.paramCount, (i + 1) * init.paramCount)
          const value = tf.tidy(() => {
            const { xs, ys } = batch(i * m.chunk, Math.min(m.n, (i + 1) * m.chunk))
            const { value, grads: g } = tf.variableGrads(() => loss.loss(xs, ys, { step: m.step, seed: m.seed, extra: m.context }), stepVars)
            for (const s of stepSlots) {
              const t = g[(params.get(s.key) as tf.Variable).name]
              if (t) row.set(t.dataSync() as Float32Array, s.offset)
              else row.fill(0, s.offset, s.offset + s.size)
            }
            return value.dataSync()[0]
          })
          const aux = loss.aux?.()
          for (const [key, values] of aux?.values ?? []) {
            const s = slotOf.get(key)
            if (!s || values.length !== s.size) throw new Error(`The training loss reported ${values.length} values for "${key}", which is ${s ? `a parameter of ${s.size} values` : 'not a parameter'}.`)
            row.set(values, s.offset)
          }
          losses.push([i, value, aux?.correct ?? NaN])
        }
        send({ type: 'stepped', id: m.id, losses, memory: memory() })
        return
      }
      loadWeights()
      let lossSum = 0
      let correct = 0
      for (let a = m.start; a < m.end; a += m.chunk) {
        const b = Math.min(m.end, a + m.chunk)
        const [l, c] = tf.tidy(() => {
          const { xs, ys } = batch(a, b)
          const logits = loss.logits(xs, { step: -1, seed: m.seed, extra: m.context })
          const l = softmaxCrossEntropy(logits, ys)
          const c = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(ys, 'int32')), 'int32'))
          return [l.dataSync()[0], c.dataSync()[0]]
        })
        lossSum += l * (b - a)
        correct += c
      }
      send({ type: 'evaluated', id: m.id, lossSum, correct, memory: memory() })
    } catch (e) {
      send({ type: 'failed', id: 'id' in m ? m.id : -1, message: e instanceof Error ? e.message : String(e) })
    }
  })
  send({ type: 'ready', index: init.index, backend: info.backend, nativeKernels: info.nativeKernels, memory: memory() })
}

main().catch((e) => send({ type: 'failed', id: -1, message: e instanceof Error ? (e.stack ?? e.message) : String(e) }))
