// The config contract's public face: types, validation, signatures, sync and the campaign matrix.
export type * from './types';
export { SCHEMA_VERSION } from './types';
export { parseConfig, type ParseResult, type ConfigIssue } from './schema';
export { parseDuration } from './time';
export { verifyEnvelope, isEnvelope, SignatureError, type SignedEnvelope, type PublicKeyInput } from './signature';
export { generateKeys, signConfig, importPrivateKey, type GeneratedKeys } from './keys';
export { createConfigSync, type ConfigSync, type ConfigSyncOptions, type ConfigSyncError, type ConfigStorage, type ConfigSource } from './sync';
export { campaignMatrix, pickCampaign, isActiveOn, type CampaignMatrix, type MatrixRow, type MatrixCell } from './matrix';
