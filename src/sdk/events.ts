// The events `on(type, handler)` delivers, by name: a misspelt name or payload field is a type error.
import type { TrackedEvent } from '../shared/types';
import type { MicrosegError } from '../shared/errors';
import type { Label } from '../labels/labels';
import type { Decision } from '../decide/decide';
import type { ConfigSource } from '../config/sync';
import type { JourneyExposure, JourneyOutcome } from '../measure/journeys';

export type ConsentState = 'granted' | 'pending' | 'denied';

export interface MicrosegEvents {
  /** Stored state is loaded and the first config is applied (or failed). */
  ready: undefined;
  track: TrackedEvent;
  /** The labels in force, after any change. */
  label: Label[];
  consent: ConsentState;
  config: { version: string; source: ConfigSource };
  'segment:enter': { id: string };
  'segment:exit': { id: string };
  decision: Decision;
  error: MicrosegError;
  'journey:exposure': JourneyExposure;
  'journey:outcome': JourneyOutcome;
}

export type MicrosegEventType = keyof MicrosegEvents;
