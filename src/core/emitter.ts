type Handler = (payload: any) => void;

/** A tiny event emitter whose handlers can never break the emitter (nor the SDK). */
export function createEmitter() {
  const handlers = new Map<string, Set<Handler>>();
  return {
    on(type: string, handler: Handler): () => void {
      let set = handlers.get(type);
      if (!set) handlers.set(type, (set = new Set()));
      set.add(handler);
      return () => set!.delete(handler);
    },
    emit(type: string, payload?: unknown): void {
      const set = handlers.get(type);
      if (!set) return;
      for (const handler of [...set]) {
        try {
          handler(payload);
        } catch (err) {
          // The handler is the host's code: show its bug, but keep delivering to the others.
          setTimeout(() => console.error('[microseg] an event handler threw', err));
        }
      }
    },
    clear(): void {
      handlers.clear();
    },
  };
}

export type Emitter = ReturnType<typeof createEmitter>;
