export type { TrackedEvent, Profile, DeviceClass } from './core/types';
export type * from './config/types';
