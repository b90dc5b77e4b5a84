// The committed native/train_kernels.wasm is what native/build.sh makes from the committed C source
// (checked where clang and wasm-ld exist), and it imports nothing but the tfjs memory.
import { execFileSync, spawnSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { describe, expect, it } from 'vitest'
import { nativeWasmPath } from '../../../src/main/model/train/native-kernels'

const root = path.join(__dirname, '..', '..', '..')
const hasClang = spawnSync('sh', ['-c', 'command -v clang && command -v wasm-ld'], { encoding: 'utf8' }).status === 0

describe('native kernel build', () => {
  it('the committed module imports only env.memory and exports the kernels', () => {
    type Desc = { module?: string; name: string; kind: string }
    const Module = (globalThis as unknown as { WebAssembly: { Module: (new (b: Uint8Array) => object) & { imports(m: object): Desc[]; exports(m: object): Desc[] } } }).WebAssembly.Module
    const mod = new Module(fs.readFileSync(nativeWasmPath()))
    expect(Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }])
    expect(Module.exports(mod).map((e) => e.name).sort()).toEqual(['bn_train_backward', 'bn_train_forward', 'column_mean', 'column_sum', 'conv_backprop_filter', 'dw_backprop_filter', 'dw_backprop_input', 'matmul_tn', 'relu6_grad', 'relu6_grad_column_sum'])
  })

  it.skipIf(!hasClang)('native/build.sh rebuilds the committed .wasm byte for byte', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-native-')), 'k.wasm')
    execFileSync(path.join(root, 'native', 'build.sh'), [out], { stdio: 'pipe' })
    expect(fs.readFileSync(out).equals(fs.readFileSync(path.join(root, 'native', 'train_kernels.wasm')))).toBe(true)
    fs.rmSync(path.dirname(out), { recursive: true })
  })
})
