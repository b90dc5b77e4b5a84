// The connection to the lab and what the lab says about itself.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { LabInfo, MethodName, RequestOf, ResponseOf } from '../../../shared/api'
import { LabError } from '../../../shared/errors'
import type { ConnectionStatus, LabConnection } from '../lab/transport'

export const useLabStore = defineStore('lab', () => {
  const connection = shallowRef<LabConnection | null>(null)
  const status = ref<ConnectionStatus>({ state: 'connecting' })
  const info = ref<LabInfo | null>(null)
  const infoError = ref<string | null>(null)

  const isOpen = computed(() => status.value.state === 'open')
  /** True once the page knows the host will not let it in without the printed link. */
  const needsToken = computed(() => status.value.state === 'no-token' || status.value.state === 'refused')

  function attach(next: LabConnection): void {
    connection.value = next
    status.value = next.status()
    next.onStatus((s) => {
      status.value = s
    })
  }

  function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    if (!connection.value) return Promise.reject(new LabError('internal', 'The page has no connection to the lab yet.'))
    return connection.value.call(method, request)
  }

  async function refreshInfo(): Promise<void> {
    try {
      info.value = await call('lab.info', {})
      infoError.value = null
    } catch (e) {
      infoError.value = errorSentence(e)
    }
  }

  function retryNow(): void {
    connection.value?.retryNow()
  }

  return { connection, status, info, infoError, isOpen, needsToken, attach, call, refreshInfo, retryNow }
})

/** The sentence to show a person for any failure. */
export function errorSentence(e: unknown): string {
  if (e instanceof LabError) return e.message
  return e instanceof Error ? e.message : String(e)
}
