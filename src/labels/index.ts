// Cross-journey labels: local records (merge, tombstones, expiry) and the backend's labels.
export * from './labels';
export { createRemoteLabels, mergeRemote, parseRemoteLabels, clockOffset, forgetUrlBeside, unlinkDevice, type RemoteLabels, type RemoteLabelsOptions } from './remote';
