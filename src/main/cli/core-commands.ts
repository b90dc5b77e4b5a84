// Foundation commands: start, serve, info, jobs.
import type { JobInfo } from '../../shared/api'
import { FINISHED_JOB_STATES } from '../../shared/api'
import { EXIT_FAILED, EXIT_OK, UsageError, type Command, type CommandContext } from './command'
import { formatDuration, formatTimeLeft, ProgressBar } from './output'
import { ensureBuilt, findElectronBinary, launchElectron, openInBrowser, startBrowserMode, untilStopped } from '../start'

function intOption(ctx: CommandContext, name: string, fallback: number, min: number, max: number): number {
  const raw = ctx.values[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${raw}").`)
  return n
}

function oneId(ctx: CommandContext, what: string): string {
  if (ctx.positionals.length !== 1) throw new UsageError(`Give exactly one ${what}.`)
  return ctx.positionals[0]
}

export function describeJob(job: JobInfo): string {
  const pct = job.progress ? ` ${Math.round(job.progress.fraction * 100)}%` : ''
  const left = job.state === 'running' && job.progress ? ` (${formatTimeLeft(job.progress.timeLeftMs)})` : ''
  const took = job.startedAt && job.finishedAt ? ` in ${formatDuration(job.finishedAt - job.startedAt)}` : ''
  const err = job.error ? ` — ${job.error}` : ''
  return `${job.id}  ${job.state.padEnd(11)} ${job.kind.padEnd(8)} ${job.title}${pct}${left}${took}${err}`
}

/** Follow a job to its end with a progress bar; Ctrl-C cancels it. Exit 0 only if it succeeded. */
export async function followJob(ctx: CommandContext, started: JobInfo): Promise<{ job: JobInfo; code: number }> {
  const lab = await ctx.lab()
  const bar = ctx.out.json ? null : new ProgressBar()
  const finished = new Promise<JobInfo>((resolve) => {
    const unsubscribe = lab.events.subscribe((event) => {
      if (event.type !== 'job.progress' && event.type !== 'job.finished') return
      if (event.job.id !== started.id) return
      if (event.type === 'job.progress') bar?.update(event.job)
      if (event.type === 'job.finished') {
        unsubscribe()
        resolve(event.job)
      }
    })
  })
  const current = await ctx.call('jobs.get', { jobId: started.id })
  const onAbort = () => void ctx.call('jobs.cancel', { jobId: started.id }).catch(() => undefined)
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  const job = FINISHED_JOB_STATES.includes(current.state) ? current : await finished
  ctx.signal.removeEventListener('abort', onAbort)
  bar?.done()
  return { job, code: job.state === 'succeeded' ? EXIT_OK : EXIT_FAILED }
}

export const coreCommands: Command[] = [
  {
    name: 'start',
    summary: 'Open the lab: the Electron window where it is installed, otherwise browser mode',
    usage: 'proxyless-lab start [--browser] [--no-open] [--host ADDR] [--port N] [--allow-remote]',
    options: {
      browser: { type: 'boolean', default: false },
      'no-open': { type: 'boolean', default: false },
      host: { type: 'string' },
      port: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      'stdin-lifeline': { type: 'boolean', default: false }
    },
    details: 'Browser mode listens on 127.0.0.1 only and prints a link with a token that changes at every start.',
    async run(ctx) {
      ensureBuilt((line) => ctx.out.info(line))
      const electron = findElectronBinary()
      if (!ctx.values.browser && electron.path) {
        const dataDir = ctx.values['data-dir'] as string | undefined
        return launchElectron(electron.path, dataDir ? ['--data-dir', dataDir] : [])
      }
      if (!ctx.values.browser) ctx.out.info(`No Electron window: ${electron.reason}. Starting browser mode.`)
      return serve(ctx)
    }
  },
  {
    name: 'serve',
    summary: 'Run the lab host in browser mode (the window as a web page on this machine)',
    usage: 'proxyless-lab serve [--no-open] [--host ADDR] [--port N] [--allow-remote]',
    options: {
      'no-open': { type: 'boolean', default: false },
      host: { type: 'string' },
      port: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      'stdin-lifeline': { type: 'boolean', default: false }
    },
    async run(ctx) {
      ensureBuilt((line) => ctx.out.info(line))
      return serve(ctx)
    }
  },
  {
    name: 'info',
    summary: 'Show the lab version, data folder and mode',
    usage: 'proxyless-lab info [--json]',
    async run(ctx) {
      const info = await ctx.call('lab.info', {})
      ctx.out.result(info, () => `Proxyless Lab ${info.version} (API ${info.apiVersion})\nData folder: ${info.dataDir}\nPlatform: ${info.platform}`)
      return EXIT_OK
    }
  },
  {
    name: 'jobs list',
    summary: 'List jobs (running, queued, interrupted and finished)',
    usage: 'proxyless-lab jobs list [--active] [--json]',
    options: { active: { type: 'boolean', default: false } },
    async run(ctx) {
      const jobs = await ctx.call('jobs.list', { includeFinished: !ctx.values.active })
      ctx.out.result(jobs, () => (jobs.length ? jobs.map(describeJob).join('\n') : 'No jobs yet.'))
      return EXIT_OK
    }
  },
  {
    name: 'jobs show',
    summary: 'Show one job',
    usage: 'proxyless-lab jobs show JOB_ID [--json]',
    async run(ctx) {
      const job = await ctx.call('jobs.get', { jobId: oneId(ctx, 'job id') })
      ctx.out.result(job, () => describeJob(job))
      return EXIT_OK
    }
  },
  {
    name: 'jobs demo',
    summary: 'Run the demo job (sleeps in steps with progress; shows that jobs, progress and cancel work)',
    usage: 'proxyless-lab jobs demo [--steps N] [--step-ms MS] [--detach] [--json]',
    options: { steps: { type: 'string' }, 'step-ms': { type: 'string' }, detach: { type: 'boolean', default: false } },
    async run(ctx) {
      const steps = intOption(ctx, 'steps', 20, 1, 100_000)
      const stepMs = intOption(ctx, 'step-ms', 200, 0, 60_000)
      const job = await ctx.call('jobs.startDemo', { steps, stepMs })
      if (ctx.values.detach) {
        ctx.out.result(job, () => `Started ${job.id}.`)
        return EXIT_OK
      }
      const { job: done, code } = await followJob(ctx, job)
      ctx.out.result(done, () => describeJob(done))
      return code
    }
  },
  {
    name: 'jobs cancel',
    summary: 'Cancel a queued or running job',
    usage: 'proxyless-lab jobs cancel JOB_ID [--json]',
    async run(ctx) {
      const job = await ctx.call('jobs.cancel', { jobId: oneId(ctx, 'job id') })
      ctx.out.result(job, () => describeJob(job))
      return EXIT_OK
    }
  },
  {
    name: 'jobs resume',
    summary: 'Resume an interrupted job from its last checkpoint and follow it',
    usage: 'proxyless-lab jobs resume JOB_ID [--json]',
    async run(ctx) {
      const job = await ctx.call('jobs.resume', { jobId: oneId(ctx, 'job id') })
      const { job: done, code } = await followJob(ctx, job)
      ctx.out.result(done, () => describeJob(done))
      return code
    }
  }
]

async function serve(ctx: CommandContext): Promise<number> {
  const host = (ctx.values.host as string | undefined) ?? '127.0.0.1'
  const port = intOption(ctx, 'port', 0, 0, 65535)
  const running = await startBrowserMode({
    dataDir: (ctx.values['data-dir'] as string | undefined) ?? null,
    host,
    port,
    allowRemote: Boolean(ctx.values['allow-remote']),
    log: (line) => ctx.out.info(line)
  })
  if (ctx.out.json) {
    process.stdout.write(JSON.stringify({ url: running.host.url, port: running.host.port, dataDir: running.lab.dataDir }) + '\n')
  } else {
    ctx.out.info(`Proxyless Lab is running in browser mode.\n  Open: ${running.host.url}\n  Data: ${running.lab.dataDir}\nPress Ctrl-C to stop.`)
  }
  if (!ctx.values['no-open'] && !ctx.out.json) openInBrowser(running.host.url)
  const why = await untilStopped(ctx.signal, { stdinLifeline: Boolean(ctx.values['stdin-lifeline']) })
  ctx.out.info(`Stopping the lab host (${why})…`)
  await running.close()
  return EXIT_OK
}
