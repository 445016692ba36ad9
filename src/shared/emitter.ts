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
  // Each list is replaced, never changed: emit() walks the one it found without copying it, and a
  // handler added or removed meanwhile takes effect from the next emit.
  const handlers = new Map<string, ReadonlyArray<Handler<never>>>();
  const remove = (type: string, handler: Handler<never>) => {
    const list = handlers.get(type);
    const at = list ? list.indexOf(handler) : -1;
    if (at >= 0) handlers.set(type, list!.filter((_, i) => i !== at));
  };
  return {
    on(type, handler) {
      const h = handler as Handler<never>;
      const list = handlers.get(type) ?? [];
      if (!list.includes(h)) handlers.set(type, [...list, h]); // one handler once, as in a set
      return () => remove(type, h);
    },
    emit(type, payload) {
      const list = handlers.get(type);
      if (!list) return;
      for (let i = 0; i < list.length; i++) {
        try {
          (list[i] as Handler<unknown>)(payload);
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
