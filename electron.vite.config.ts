import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Native and WASM-carrying packages stay outside the bundle: they are loaded from node_modules at run time.
const external = ['better-sqlite3', '@devicefarmer/adbkit', '@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-tflite', 'ws', 'tsx']

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        external,
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          'job-worker': resolve(__dirname, 'src/main/jobs/worker-entry.ts'),
          'tflite-worker': resolve(__dirname, 'src/main/devices/host/tflite-worker.ts'),
          'daemon-entry': resolve(__dirname, 'src/main/devices/virtual/daemon-entry.ts'),
          'train-worker': resolve(__dirname, 'src/main/model/train/worker.ts'),
          // Loaded by require() inside training workers (ProxylessSearch.attachTrainer).
          'supernet-loss': resolve(__dirname, 'src/main/nas/supernet-loss.ts')
        }
      }
    },
    plugins: [
      {
        // The training engine's native kernels sit beside the bundle (native-kernels.ts looks there).
        name: 'native-training-kernels',
        generateBundle() {
          this.emitFile({ type: 'asset', fileName: 'train_kernels.wasm', source: readFileSync(resolve(__dirname, 'native/train_kernels.wasm')) })
        }
      }
    ]
  },
  preload: {
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') } } }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } } },
    resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
    plugins: [vue()]
  }
})
