export { createMicroseg } from './core/microseg';
export type { Microseg, MicrosegOptions, ConsentState, LabelOptions, IdentifyOptions, MicrosegEventType } from './core/microseg';
export type { MicrosegError } from './core/errors';
export type { TrackedEvent, Profile, DeviceClass } from './core/types';
export type { Label } from './labels';
export type { Decision, Considered, Outcome, CapKind } from './decide';
export type * from './config/types';
export type { Persona, PersonaLabel } from './preview/types';
