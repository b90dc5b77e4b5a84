// A typed event bus: the lab's pushed events, fanned out to every connected front end.
import type { LabEvent } from '../shared/api'

export type LabEventListener = (event: LabEvent) => void

export class LabEvents {
  private readonly listeners = new Set<LabEventListener>()

  emit(event: LabEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (e) {
        // One broken front end must not stop the others from hearing the event.
        console.error('[lab] event listener failed:', e)
      }
    }
  }

  subscribe(listener: LabEventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get listenerCount(): number {
    return this.listeners.size
  }
}
