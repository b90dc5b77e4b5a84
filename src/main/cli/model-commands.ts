// Model commands: tflite inspect, tflite export.
import { EXIT_OK, UsageError, type Command } from './command'

export const modelCommands: Command[] = [
  {
    name: 'tflite inspect',
    summary: 'Read a .tflite file: ops with versions, inputs and outputs, tensors, bytes by type',
    usage: 'proxyless-lab tflite inspect FILE [--json]',
    async run(ctx) {
      if (ctx.positionals.length !== 1) throw new UsageError('Give exactly one .tflite file.')
      const s = await ctx.call('tflite.inspect', { path: ctx.positionals[0] })
      ctx.out.result(s, () =>
        [
          `${ctx.positionals[0]}: ${s.fileBytes.toLocaleString('en')} bytes, TFLite schema v${s.version}${s.description ? ` (${s.description})` : ''}`,
          `  ${s.subgraphs} subgraph(s), ${s.tensors} tensors, ${s.operators} operators`,
          `  inputs:  ${s.inputs.map((t) => `${t.name} ${t.type}[${t.shape.join(',')}]`).join('; ')}`,
          `  outputs: ${s.outputs.map((t) => `${t.name} ${t.type}[${t.shape.join(',')}]`).join('; ')}`,
          `  constants: ${Object.entries(s.constantBytesByType).map(([t, b]) => `${t} ${b.toLocaleString('en')} B`).join(', ') || 'none'}`,
          '  ops:',
          ...s.ops.map((o) => `    ${String(o.count).padStart(4)} × ${o.name} v${o.version}`),
          ...(s.customOps.length ? [`  custom ops (need the app's own kernels): ${s.customOps.join(', ')}`] : [])
        ].join('\n')
      )
      return EXIT_OK
    }
  },
  {
    name: 'tflite export',
    summary: 'Export an architecture of a search space as a TFLite file (fp32, fp16, int8 or mixed)',
    usage: 'proxyless-lab tflite export --space mobile|small --arch ARCH|random --precision fp32|fp16|int8|mixed:LAYER=P,… --out FILE [--input fashion-mnist|cifar10] [--width W] [--classes N] [--seed N] [--no-softmax] [--json]',
    details: 'ARCH lists one op per searchable block joined by "-" (k3e3 k3e6 k5e3 k5e6 k7e3 k7e6, or zero where a block may be skipped); "random" samples one with --seed. Layer names for mixed precision: stem, b0_*, b<i>_expand|dw|project, head, logits.',
    options: {
      space: { type: 'string' },
      arch: { type: 'string' },
      precision: { type: 'string' },
      out: { type: 'string' },
      input: { type: 'string' },
      width: { type: 'string' },
      classes: { type: 'string' },
      seed: { type: 'string' },
      'no-softmax': { type: 'boolean', default: false }
    },
    async run(ctx) {
      const need = (name: string) => {
        const v = ctx.values[name]
        if (typeof v !== 'string') throw new UsageError(`--${name} is required.`)
        return v
      }
      const num = (name: string) => (ctx.values[name] === undefined ? undefined : Number(ctx.values[name]))
      const model = await ctx.call('tflite.export', {
        space: need('space') as 'mobile' | 'small',
        arch: need('arch'),
        precision: (ctx.values.precision as string | undefined) ?? 'fp32',
        outPath: need('out'),
        input: ctx.values.input as 'fashion-mnist' | 'cifar10' | undefined,
        widthMult: num('width'),
        classes: num('classes'),
        seed: num('seed') ?? 1,
        softmax: !ctx.values['no-softmax']
      })
      ctx.out.result(model, () =>
        [`Wrote ${model.path}: ${model.fileBytes.toLocaleString('en')} bytes, ${model.precision}, ${(model.macs / 1e6).toFixed(1)} M MACs, ${(model.params / 1e3).toFixed(1)} k parameters`, `  ${model.space}: ${model.architecture}`, ...model.notes.map((n) => `  note: ${n}`)].join('\n')
      )
      return EXIT_OK
    }
  }
]
