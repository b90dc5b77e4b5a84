// The demo job: sleeps stepMs per step, reports progress and checkpoints its step counter every step,
// throws at failAtStep; resumed, it continues after the last checkpointed step.
import { setTimeout as sleep } from 'node:timers/promises'
import { DemoJobParams } from '../../shared/contract/core'
import { LabError } from '../../shared/errors'
import type { JobRunner } from './runner'

export interface DemoCheckpoint {
  stepsDone: number
}
export interface DemoResult {
  stepsDone: number
  resumedFromStep: number
}

export const runner: JobRunner<unknown, DemoCheckpoint, DemoResult> = {
  async run(ctx) {
    const params = DemoJobParams.parse(ctx.params)
    const resumedFromStep = ctx.loadCheckpoint()?.stepsDone ?? 0
    // Steps are numbered from 0, as failAtStep is; stepsDone counts the finished ones.
    for (let step = resumedFromStep; step < params.steps; step++) {
      ctx.signal.throwIfAborted()
      if (params.failAtStep === step) {
        throw new LabError('internal', `The demo job failed at step ${step} of ${params.steps}, as asked by failAtStep.`)
      }
      await sleep(params.stepMs, undefined, { signal: ctx.signal })
      const stepsDone = step + 1
      await ctx.checkpoint({ stepsDone })
      ctx.reportProgress({ fraction: stepsDone / params.steps, stage: `Step ${stepsDone} of ${params.steps}`, counters: { stepsDone, steps: params.steps } })
    }
    return { stepsDone: params.steps, resumedFromStep }
  }
}
