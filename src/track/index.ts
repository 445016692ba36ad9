export { pageContext, acquisition, deviceClass, type PageContext } from './context';
export { newProfile, touchProfile, isProfile, VISIT_IDLE } from './profile';
export { ingestDataLayer } from './datalayer';
export { watchNavigation } from './navigation';
export { recordedUrl, recordedReferrer, urlParamNames, REQUEST_REFERRER_POLICY } from './url';
