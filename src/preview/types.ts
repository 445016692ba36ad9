// What a preview shows: a persona (who, and when) and the SDK internals the overlay chunk reads.
import type { MicrosegConfig } from '../config/types';
import type { Decision } from '../decide/decide';
import type { ExposureHistory } from '../decide/history';
import type { EngineState } from '../engine';
import type { PublicKeyInput } from '../config/signature';

/** A label as a persona has it: set `ageDays` ago (default 0), or `false` for "not set". */
export type PersonaLabel = { value?: unknown; ageDays?: number; channel?: string } | false;

export interface Persona {
  /** Exactly these segments (their rules are not evaluated); omitted: the rules decide. */
  segments?: string[];
  labels?: Record<string, PersonaLabel>;
  /** Metric values that replace the computed ones (scores follow). */
  metrics?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  /** The local date to preview, "YYYY-MM-DD" (default today), at the current time of day. */
  date?: string;
  /** Start from a new visitor instead of this browser's own profile (preview links always do). */
  blank?: boolean;
}

/** The decisions a preview paints instead of the live ones. */
export interface PreviewView {
  decide(slot: string): Decision;
  offers(): string[];
}

/** Handed to the overlay chunk: read-only access to the SDK's state, and a way to paint. */
export interface PreviewBridge {
  persona: Persona;
  config(): MicrosegConfig | undefined;
  /** The live engine's state (a copy): the preview builds its own engine from it. */
  engineState(): EngineState | undefined;
  history(): ExposureHistory;
  visitor(): string;
  visit(): number;
  now(): number;
  /** A new config is in force: the preview recomputes. Returns an unsubscribe function. */
  onConfig(handler: () => void): () => void;
  /** Paints the page with these decisions (undefined: the live ones again). */
  show(view: PreviewView | undefined): void;
  /** The marketer leaves the preview. */
  leave(): void;
}

export interface PreviewSession {
  update(persona: Persona): void;
  destroy(): void;
}

export type MountPreview = (bridge: PreviewBridge) => PreviewSession;

/** What the lazily loaded chunk provides: token checks live there too, to keep the core small. */
export interface PreviewChunk {
  mount: MountPreview;
  verify(token: string, key: PublicKeyInput | PublicKeyInput[], now: number): Promise<{ persona: Persona; exp: number }>;
}
