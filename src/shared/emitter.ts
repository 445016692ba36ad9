// A tiny typed event emitter: `Events` maps each event name to its payload, so a misspelt name
// or payload field is a type error. Handlers can never break the emitter (nor the SDK).

export type Handler<P> = (payload: P) => void;

export interface Emitter<Events extends object> {
  /** Adds a handler; the returned function removes it. */
  on<K extends keyof Events & string>(type: K, handler: Handler<Events[K]>): () => void;
  emit<K extends keyof Events & string>(type: K, payload?: Events[K]): void;
  clear(): void;
}

export function createEmitter<Events extends object>(): Emitter<Events> {
  const handlers = new Map<string, Set<Handler<never>>>();
  return {
    on(type, handler) {
      let set = handlers.get(type);
      if (!set) handlers.set(type, (set = new Set()));
      set.add(handler as Handler<never>);
      return () => set!.delete(handler as Handler<never>);
    },
    emit(type, payload) {
      const set = handlers.get(type);
      if (!set) return;
      for (const handler of [...set]) {
        try {
          (handler as Handler<unknown>)(payload);
        } catch (err) {
          // The handler is the host's code: show its bug, but keep delivering to the others.
          setTimeout(() => console.error('[microseg] an event handler threw', err));
        }
      }
    },
    clear() {
      handlers.clear();
    },
  };
}
