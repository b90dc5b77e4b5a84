// The HAQ search loop (Wang et al., CVPR'19, Alg. in §3; rl_quantize.py): per episode the agent picks one action
// per slot, the budget walk makes the policy fit, the caller evaluates its accuracy, and the episodic reward
// λ·(acc_quant − acc_fp) is given to every transition of the episode; after warm-up, one DDPG update per transition.
import { LabError } from '../../shared/errors'
import { budgetLimit, enforceBudget, metricValue, overBudgetMessage, parseBudget, type Budget } from './budget'
import { DdpgAgent, type DdpgCheckpoint, type DdpgOptions } from './ddpg'
import { cachedPolicyCost, STATE_DIM, type CostFigures, type PolicyCost, type QuantEnv } from './env'
import type { QuantPolicy } from './precision'

export interface EpisodeRecord {
  episode: number
  policy: QuantPolicy
  accuracy: number
  cost: CostFigures
  reward: number
  /** Warm-up episodes act at random; later ones follow the actor with exploration noise. */
  warmup: boolean
}

export interface SearchProgress {
  episode: number
  episodes: number
  best: EpisodeRecord | null
}

export interface QuantSearchCheckpoint {
  version: 1
  /** The next episode to play. */
  nextEpisode: number
  agent: DdpgCheckpoint
  records: EpisodeRecord[]
  accuracyFp: number
  fp32Cost: CostFigures
}

export interface QuantSearchOptions {
  env: QuantEnv
  /** A Budget or text such as "latency:0.6" or "size:2MB". */
  budget: Budget | string
  /** HAQ: 600. */
  episodes?: number
  /** DDPG settings; stateDim and replayCapacity (128 × slots) are filled in. */
  ddpg?: Partial<DdpgOptions>
  /** Accuracy of a quantized policy (e.g. after a short fine-tune), as a fraction or percent. */
  evaluate: (policy: QuantPolicy) => Promise<number>
  /** Cost of a policy; cached by policy key inside the search. */
  cost: PolicyCost
  /** Accuracy of the full-precision network; evaluated on the fp32 / max-bits policy when absent. */
  accuracyFp?: number
  signal?: AbortSignal
  onEpisode?: (record: EpisodeRecord, progress: SearchProgress) => void
  /** Receives JSON-able state to resume from; called every `checkpointEvery` episodes and at the end. */
  onCheckpoint?: (checkpoint: QuantSearchCheckpoint) => void | Promise<void>
  checkpointEvery?: number
  resume?: QuantSearchCheckpoint
}

export interface QuantSearchResult {
  episodes: EpisodeRecord[]
  /** Highest reward (ties: the earlier episode); every recorded policy is within budget. */
  best: EpisodeRecord | null
  accuracyFp: number
  fp32Cost: CostFigures
  /** The budget in its metric's unit. */
  limit: number
  budget: Budget
}

function bestOf(records: EpisodeRecord[]): EpisodeRecord | null {
  return records.reduce<EpisodeRecord | null>((b, r) => (b === null || r.reward > b.reward ? r : b), null)
}

export async function runQuantSearch(o: QuantSearchOptions): Promise<QuantSearchResult> {
  const env = o.env
  const budget = typeof o.budget === 'string' ? parseBudget(o.budget) : o.budget
  const episodes = o.episodes ?? 600
  const checkpointEvery = o.checkpointEvery ?? 10
  const cost = cachedPolicyCost(o.cost)
  const costOf = async (levels: number[]): Promise<CostFigures> => cost(env.policyOf(levels))

  const fullLevels = env.maxLevels()
  const fp32Cost = o.resume?.fp32Cost ?? (await costOf(fullLevels))
  const limit = budgetLimit(budget, fp32Cost)
  const lowest = metricValue(await costOf(env.minLevels()), budget.metric)
  const describe = { metric: budget.metric, lowest: env.describeLowest() }
  if (lowest > limit) throw new LabError('bad_request', overBudgetMessage(budget.metric, describe.lowest, lowest, limit), 'budget')
  const accuracyFp = o.resume?.accuracyFp ?? o.accuracyFp ?? (await o.evaluate(env.policyOf(fullLevels)))

  const slots = env.slots.length
  const agent = o.resume ? await DdpgAgent.restore(o.resume.agent) : new DdpgAgent({ replayCapacity: 128 * slots, ...o.ddpg, stateDim: STATE_DIM, actionDim: 1 })
  const records: EpisodeRecord[] = o.resume ? [...o.resume.records] : []
  const checkpoint = async (nextEpisode: number): Promise<void> => {
    if (o.onCheckpoint) await o.onCheckpoint({ version: 1, nextEpisode, agent: await agent.checkpoint(), records: [...records], accuracyFp, fp32Cost })
  }

  try {
    for (let episode = o.resume?.nextEpisode ?? 0; episode < episodes; episode++) {
      o.signal?.throwIfAborted()
      const warmup = agent.inWarmup
      // 1. the agent picks a level per slot, seeing the previous slot's choice in its state
      const states: number[][] = []
      const actions: number[] = []
      const levels: number[] = []
      for (let t = 0; t < slots; t++) {
        const s = env.state(t, t > 0 ? levels[t - 1] : 0)
        const a = agent.act(s, true)[0]
        states.push(s)
        actions.push(a)
        levels.push(env.levelOf(t, a))
      }
      // 2. HAQ's constraint: lower slots last → first until the policy fits the budget
      const walk = await enforceBudget(levels, env.minLevels(), async (l) => metricValue(await costOf(l), budget.metric), limit, describe)
      const policy = env.policyOf(walk.levels)
      // 3. accuracy → reward, given to every step of the episode
      const accuracy = await o.evaluate(policy)
      const reward = env.reward(accuracy, accuracyFp)
      for (let t = 0; t < slots; t++) {
        // The agent's own action is stored even where the walk lowered it, as HAQ does (storing the lowered
        // actions instead made the agent collapse to the cheapest policy on the synthetic test problem).
        const action = actions[t]
        const last = t === slots - 1
        agent.observe({ state: states[t], action: [action], reward, nextState: last ? states[t] : env.state(t + 1, walk.levels[t]), done: last })
      }
      if (!warmup) for (let t = 0; t < slots; t++) agent.update()
      agent.endEpisode()
      const record: EpisodeRecord = { episode, policy, accuracy, cost: await cost(policy), reward, warmup }
      records.push(record)
      o.onEpisode?.(record, { episode, episodes, best: bestOf(records) })
      if ((episode + 1) % checkpointEvery === 0 && episode + 1 < episodes) await checkpoint(episode + 1)
    }
    await checkpoint(episodes)
  } finally {
    agent.dispose()
  }
  return { episodes: records, best: bestOf(records), accuracyFp, fp32Cost, limit, budget }
}
