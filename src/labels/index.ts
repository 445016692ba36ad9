// Cross-journey labels: records per name and channel (merge, order, expiry), bounded values,
// records read from outside, and the backend's labels.
export * from './labels';
export * from './value';
export * from './ingest';
export { createRemoteLabels, mergeRemote, parseRemoteLabels, clockOffset, forgetUrlBeside, unlinkDevice, type RemoteLabels, type RemoteLabelsOptions } from './remote';
export { createLabelsRuntime, type LabelsRuntime, type LocalLabelOptions } from './runtime';
